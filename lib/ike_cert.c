/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv2 certificate authentication (RFC 7296 3.6/3.8, RFC 4754, RFC 7427) with OpenSSL X.509. */
#include "lib/ike_cert.h"
