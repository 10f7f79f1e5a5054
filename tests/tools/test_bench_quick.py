# SPDX-License-Identifier: BSD-3-Clause
"""tools/dmvpn-bench --quick must exit 0 and print one JSON object per case on stdout:
a measured gre-only case with a rate, cycles per packet and an I/O ceiling, and the
ESP case either measured the same way or reported as skipped (before ESP lands).
Its figures are not compared with anything: the machine is shared and noisy."""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tools", "dmvpn-bench")


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


if os.geteuid() != 0:
    print("SKIP: needs root (DPDK EAL)")
    sys.exit(77)
if not shutil.which("dpdk-testpmd") and not os.access("/usr/bin/dpdk-testpmd", os.X_OK):
    print("SKIP: dpdk-testpmd is not installed (Debian package dpdk)")
    sys.exit(77)

r = subprocess.run([sys.executable, BENCH, "--quick"], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, text=True, timeout=280)
sys.stdout.write(r.stderr)
sys.stdout.write(r.stdout)
if r.returncode:
    fail("dmvpn-bench --quick exited with %d" % r.returncode)
rows = []
for line in r.stdout.splitlines():
    try:
        rows.append(json.loads(line))
    except ValueError:
        fail("not a JSON line on stdout: %r" % line)
cases = {row.get("case"): row for row in rows}
if set(cases) != {"gre-only", "encrypt"}:
    fail("want the cases gre-only and encrypt, got %r" % sorted(cases))
for name, row in cases.items():
    if row.get("skipped"):
        if name == "gre-only":
            fail("gre-only was skipped: %s" % row["skipped"])
        continue
    for k in ("mpps", "cycles_per_packet", "ceiling_io_mpps", "ratio_to_ceiling"):
        if not isinstance(row.get(k), (int, float)) or row[k] <= 0:
            fail("%s: %s is %r" % (name, k, row.get(k)))
    if name == "encrypt" and not row.get("ceiling_crypto_mpps"):
        fail("encrypt: no ceiling_crypto_mpps")
    if name == "gre-only" and row.get("ceiling_crypto_mpps") is not None:
        fail("gre-only: ceiling_crypto_mpps should be null")
    if row.get("errors"):
        fail("%s: %s" % (name, row["errors"]))
print("dmvpn-bench --quick: %d cases, JSON good" % len(rows))
