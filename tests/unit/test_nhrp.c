/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of lib/wire/nhrp: Cisco captures parsed, rebuilt byte for byte, truncated and corrupted. */
#include <arpa/inet.h>
#include <errno.h>

#include "lib/wire/ipv4.h"
#include "lib/wire/nhrp.h"
#include "check.h"

#define MAX_PKT 512

struct want_cie {
	uint8_t code, pl;
	uint16_t mtu, htime;
	uint8_t pref;
	const char *nbma, *proto; /* NULL: absent */
};

/*
 * Every NHRP packet of tcpdump's captures (tests/unit/vectors, hex from
 * extract_nhrp.py), with what tcpdump -v prints for it in the .out file
 * beside it: type, request id, hop count, source NBMA, source -> destination
 * protocol address and the first CIE. Flags and extension types, which
 * tcpdump does not print, are read off the hex.
 */
static const struct capture {
	const char *name;
	const char *hex;
	uint8_t type, hopcnt;
	uint16_t flags;
	uint32_t reqid;
	const char *src_nbma, *src_proto, *dst_proto;
	uint8_t n_cie;
	struct want_cie cie;
	uint16_t ext[NHRP_MAX_EXT]; /* as on the wire, compulsory bit included; 0 ends */
} captures[] = {
	{"ios_nhrp.pcap #1",
	 "000108000000000000ff0051e8e400340103040004048000000000050a000c02"
	 "c0a80002c0a8000100ff000005ea001e00000000800300008004000080050000"
	 "8007000900000001434953434f80000000",
	 3, 255, 0x8000, 5, "10.0.12.2", "192.168.0.2", "192.168.0.1", 1, {0, 255, 1514, 30, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007}},
	{"NHRP_registration.pcap #1",
	 "000108000000000000ff006c197b0034010304000404800200000001a9fe6401"
	 "9b0100019b0100050020000045f81c2000000000800300008004000080050000"
	 "8007000c000000014e48525041555448000900140020000045f8000004000400"
	 "a9fe64059b01000580000000",
	 3, 255, 0x8002, 1, "169.254.100.1", "155.1.0.1", "155.1.0.5", 1, {0, 32, 17912, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"NHRP_registration.pcap #2",
	 "000108000000000000ff0080060f0034010404000404800200000001a9fe6401"
	 "9b0100019b0100050020000045f81c2000000000800300140020000045f81c20"
	 "04000400a9fe64059b01000580040000800500008007000c000000014e485250"
	 "41555448000900140020000045f8000004000400a9fe64059b01000580000000",
	 4, 255, 0x8002, 1, "169.254.100.1", "155.1.0.1", "155.1.0.5", 1, {0, 32, 17912, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"NHRP_registration.pcap #3",
	 "000108000000000000ff006c197a0034010304000404800200000002a9fe6401"
	 "9b0100019b0100050020000045f81c2000000000800300008004000080050000"
	 "8007000c000000014e48525041555448000900140020000045f8000004000400"
	 "a9fe64059b01000580000000",
	 3, 255, 0x8002, 2, "169.254.100.1", "155.1.0.1", "155.1.0.5", 1, {0, 32, 17912, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"NHRP_registration.pcap #4",
	 "000108000000000000ff0080060e0034010404000404800200000002a9fe6401"
	 "9b0100019b0100050020000045f81c2000000000800300140020000045f81c20"
	 "04000400a9fe64059b01000580040000800500008007000c000000014e485250"
	 "41555448000900140020000045f8000004000400a9fe64059b01000580000000",
	 4, 255, 0x8002, 2, "169.254.100.1", "155.1.0.1", "155.1.0.5", 1, {0, 32, 17912, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"NHRP-responder-address.pcap #1",
	 "000108000000000000ff006cbe3a003401030400040400020000012c9b014f02"
	 "9b0100099b0100060020000045f81c2000000000800300008004000080050000"
	 "8007000c000000014e48525041555448000900140020000045f8000004000400"
	 "060606069b01000680000000",
	 3, 255, 0x0002, 300, "155.1.79.2", "155.1.0.9", "155.1.0.6", 1, {0, 32, 17912, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"NHRP-responder-address.pcap #2",
	 "000108000000000000ff00801ac5003401040400040400020000012c9b014f02"
	 "9b0100099b0100060020000045f81c2000000000800300140020000045f81c20"
	 "04000400060606069b01920680040000800500008007000c000000014e485250"
	 "41555448000900140020000045f8000004000400060606069b01000680000000",
	 4, 255, 0x0002, 300, "155.1.79.2", "155.1.0.9", "155.1.0.6", 1, {0, 32, 17912, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp-trace.pcap #1",
	 "000108000000000000ff0062d9d00044010804000404000000000000c0a8c801"
	 "0affff010affff034500006400050000ff01a78f0affff030affff020800325b"
	 "0001000080040000800500008007000a00000001736563726574000900008000"
	 "0000",
	 8, 255, 0x0000, 0, "192.168.200.1", "10.255.255.1", "10.255.255.3", 0, {0},
	 {0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp-trace.pcap #2",
	 "000108000000000000ff0056aa370034010104000404c80200000005c0a8c803"
	 "0affff030affff020000000005ea1c2000000000800300008004000080050000"
	 "8007000a000000017365637265740009000080000000",
	 1, 255, 0xc802, 5, "192.168.200.3", "10.255.255.3", "10.255.255.2", 1, {0, 0, 1514, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp-trace.pcap #3",
	 "000108000000000000fe006aed5a0034010104000404c80200000005c0a8c803"
	 "0affff030affff020000000005ea1c2000000000800300008004001400000000"
	 "05ea1c2004000400c0a8c8010affff01800500008007000a0000000173656372"
	 "65740009000080000000",
	 1, 254, 0xc802, 5, "192.168.200.3", "10.255.255.3", "10.255.255.2", 1, {0, 0, 1514, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp-trace.pcap #4",
	 "000108000000000000ff0086659b003c010204000404f80200000005c0a8c803"
	 "0affff030affff020020000005ea1c2004000400c0a8c8020affff0280030014"
	 "0000000005ea1c2004000400c0a8c8020affff02800400140000000005ea1c20"
	 "04000400c0a8c8010affff01800500008007000a000000017365637265740009"
	 "000080000000",
	 2, 255, 0xf802, 5, "192.168.200.3", "10.255.255.3", "10.255.255.2", 1, {0, 32, 1514, 7200, 0, "192.168.200.2", "10.255.255.2"},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #1",
	 "000108000000000000ff0068af1500340103040004048002000000156401021b"
	 "0a4100030a4100010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000e"
	 "0a41000180000000",
	 3, 255, 0x8002, 21, "100.1.2.27", "10.65.0.3", "10.65.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #2",
	 "000108000000000000ff007cd65e00340104040004048002000000156401021b"
	 "0a4100030a4100010020000045fc1c2000000000800300140020000045fc1c20"
	 "040004006401000e0a410001800400008005000080070008000000014f545553"
	 "000900140020000045fc0000040004006401000e0a41000180000000",
	 4, 255, 0x8002, 21, "100.1.2.27", "10.65.0.3", "10.65.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #3",
	 "000108000000000000ff0068af1400340103040004048002000000166401021b"
	 "0a4100030a4100010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000e"
	 "0a41000180000000",
	 3, 255, 0x8002, 22, "100.1.2.27", "10.65.0.3", "10.65.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #4",
	 "000108000000000000ff007cd65d00340104040004048002000000166401021b"
	 "0a4100030a4100010020000045fc1c2000000000800300140020000045fc1c20"
	 "040004006401000e0a410001800400008005000080070008000000014f545553"
	 "000900140020000045fc0000040004006401000e0a41000180000000",
	 4, 255, 0x8002, 22, "100.1.2.27", "10.65.0.3", "10.65.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #5",
	 "000108000000000000ff0068af2b00340103040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000f"
	 "0a40000180000000",
	 3, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #6",
	 "000108000000000000ff007cd67400340104040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300140020000045fc1c20"
	 "040004006401000f0a400001800400008005000080070008000000014f545553"
	 "000900140020000045fc0000040004006401000f0a40000180000000",
	 4, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #7",
	 "000108000000000000ff0068af2800340103040004048002000000026401021b"
	 "0a4100030a4100010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000e"
	 "0a41000180000000",
	 3, 255, 0x8002, 2, "100.1.2.27", "10.65.0.3", "10.65.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #8",
	 "000108000000000000ff007cd67100340104040004048002000000026401021b"
	 "0a4100030a4100010020000045fc1c2000000000800300140020000045fc1c20"
	 "040004006401000e0a410001800400008005000080070008000000014f545553"
	 "000900140020000045fc0000040004006401000e0a41000180000000",
	 4, 255, 0x8002, 2, "100.1.2.27", "10.65.0.3", "10.65.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #9",
	 "000108000000000000ff0068af2b00340103040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000f"
	 "0a40000180000000",
	 3, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #10",
	 "000108000000000000ff007cd67400340104040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300140020000045fc1c20"
	 "040004006401000f0a400001800400008005000080070008000000014f545553"
	 "000900140020000045fc0000040004006401000f0a40000180000000",
	 4, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #11",
	 "000108000000000000ff0068af2b00340103040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000f"
	 "0a40000180000000",
	 3, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #12",
	 "000108000000000000ff007cd67400340104040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300140020000045fc1c20"
	 "040004006401000f0a400001800400008005000080070008000000014f545553"
	 "000900140020000045fc0000040004006401000f0a40000180000000",
	 4, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #13",
	 "000108000000000000ff0068af2b00340103040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000f"
	 "0a40000180000000",
	 3, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #14",
	 "000108000000000000ff0068af2b00340103040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000f"
	 "0a40000180000000",
	 3, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #15",
	 "000108000000000000ff0068af2b00340103040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000f"
	 "0a40000180000000",
	 3, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #16",
	 "000108000000000000ff0068af2b00340103040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000f"
	 "0a40000180000000",
	 3, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #17",
	 "000108000000000000ff0068af2b00340103040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000f"
	 "0a40000180000000",
	 3, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #18",
	 "000108000000000000ff0068af2b00340103040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000f"
	 "0a40000180000000",
	 3, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #19",
	 "000108000000000000ff007cd67400340104040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300140020000045fc1c20"
	 "040004006401000f0a400001800400008005000080070008000000014f545553"
	 "000900140020000045fc0000040004006401000f0a40000180000000",
	 4, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #20",
	 "000108000000000000ff0068af2b00340103040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000f"
	 "0a40000180000000",
	 3, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #21",
	 "000108000000000000ff007cd67400340104040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300140020000045fc1c20"
	 "040004006401000f0a400001800400008005000080070008000000014f545553"
	 "000900140020000045fc0000040004006401000f0a40000180000000",
	 4, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #22",
	 "000108000000000000ff0068af2b00340103040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000f"
	 "0a40000180000000",
	 3, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #23",
	 "000108000000000000ff007cd67400340104040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300140020000045fc1c20"
	 "040004006401000f0a400001800400008005000080070008000000014f545553"
	 "000900140020000045fc0000040004006401000f0a40000180000000",
	 4, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #24",
	 "000108000000000000ff0068af2b00340103040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300008004000080050000"
	 "80070008000000014f545553000900140020000045fc0000040004006401000f"
	 "0a40000180000000",
	 3, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
	{"nhrp.pcapng #25",
	 "000108000000000000ff007cd67400340104040004048002000000016401021b"
	 "0a4000030a4000010020000045fc1c2000000000800300140020000045fc1c20"
	 "040004006401000f0a400001800400008005000080070008000000014f545553"
	 "000900140020000045fc0000040004006401000f0a40000180000000",
	 4, 255, 0x8002, 1, "100.1.2.27", "10.64.0.3", "10.64.0.1", 1, {0, 32, 17916, 7200, 0, NULL, NULL},
	 {0x8003, 0x8004, 0x8005, 0x8007, 0x0009}},
};

#define N_CAPTURES (sizeof(captures) / sizeof(captures[0]))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define RTE_MIN_(a, b) ((a) < (b) ? (a) : (b))

/* Indexes of the captures that other tests start from. */
enum { CAP_IOS = 0, CAP_REG_REPLY = 2, CAP_RESPONDER_REPLY = 6, CAP_TRAFFIC = 7,
       CAP_RES_FORWARDED = 9, CAP_RES_REPLY = 10 };

/* pb_nhrp_1.pcap: NHRP straight over IP (protocol 54), garbage fields. */
static const char pb_nhrp_1_hex[] =
	"5dc9007bff741971586777530000010001010101010100000000000001796749"
	"0000000000000000";

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (; hex[0] && hex[1]; hex += 2) {
		unsigned v;

		if (n == cap || sscanf(hex, "%2x", &v) != 1) {
			fprintf(stderr, "bad test vector\n");
			exit(2);
		}
		out[n++] = (uint8_t)v;
	}
	return n;
}

static size_t load(size_t i, uint8_t *buf)
{
	return unhex(captures[i].hex, buf, MAX_PKT);
}

static uint32_t ip(const char *s)
{
	struct in_addr a = {0};

	if (s && inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "bad address %s\n", s);
		exit(2);
	}
	return a.s_addr;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Recompute ar$chksum over min(ar$pktsz, len) bytes, as a sender would. */
static void fix_cksum(uint8_t *p, size_t len)
{
	size_t n = rd16(p + 10);
	uint16_t ck;

	if (n > len)
		n = len;
	p[12] = p[13] = 0;
	ck = inet_cksum(p, n);
	memcpy(p + 12, &ck, 2);
}

/*
 * Parse from exactly len bytes, twice: malloc'ed (ASan flags a read past
 * them) and before a guard page (faults without ASan). Both must agree.
 */
static int parse_exact(const uint8_t *pkt, size_t len, struct nhrp_msg *m)
{
	static struct nhrp_msg m2;
	struct tbuf g = tbuf_guarded(pkt, len);
	uint8_t *h = tbuf_malloc(pkt, len);
	int rc = nhrp_parse(h, len, m);
	int rc2 = nhrp_parse(g.p, len, &m2);

	CHECK_MSG(rc == rc2 && !memcmp(m, &m2, sizeof(m2)), "guarded %d vs malloc %d at len %zu",
		  rc2, rc, len);
	tbuf_free(&g);
	free(h);
	return rc;
}

static int cie_ext(uint16_t type)
{
	return type == NHRP_EXT_RESPONDER || type == NHRP_EXT_FWD_TRANSIT ||
	       type == NHRP_EXT_REV_TRANSIT || type == NHRP_EXT_NAT_ADDRESS;
}

/* Re-encode a parsed message with the builder: same CIEs, same extensions
 * (their CIEs, or their value as raw bytes), same payload. */
static int rebuild(const uint8_t *pkt, const struct nhrp_msg *m, uint8_t *out, size_t cap,
		   struct nhrp_buf *b)
{
	switch (m->type) {
	case NHRP_ERROR_INDICATION:
		nhrp_build_error_init(b, out, cap, m->hopcnt, m->err_code, m->err_offset,
				      m->src_nbma, m->src_proto, m->dst_proto);
		nhrp_put_raw(b, pkt + m->payload_off, m->payload_len);
		break;
	case NHRP_TRAFFIC_INDICATION:
		nhrp_build_traffic_init(b, out, cap, m->hopcnt, m->traffic_code, m->src_nbma,
					m->src_proto, m->dst_proto);
		nhrp_put_raw(b, pkt + m->payload_off, m->payload_len);
		break;
	default:
		nhrp_build_init(b, out, cap, m->type, m->hopcnt, m->flags, m->reqid, m->src_nbma,
				m->src_proto, m->dst_proto);
		for (unsigned i = 0; i < m->n_cie; i++)
			nhrp_put_cie(b, &m->cie[i]);
		break;
	}
	for (unsigned i = 0; i < m->n_ext; i++) {
		const struct nhrp_ext *e = &m->ext[i];

		nhrp_ext_begin(b, e->type, e->compulsory);
		if (cie_ext(e->type))
			for (unsigned j = 0; j < e->n_cie; j++)
				nhrp_put_cie(b, &e->cie[j]);
		else
			nhrp_put_raw(b, pkt + e->off, e->len);
		nhrp_ext_end(b);
	}
	return nhrp_build_finish(b);
}

static void check_cie(const char *name, const struct nhrp_cie *c, const struct want_cie *w)
{
	CHECK_MSG(c->code == w->code && c->prefix_len == w->pl && c->mtu == w->mtu &&
		  c->holdtime == w->htime && c->pref == w->pref,
		  "%s: CIE code %u pl %u mtu %u htime %u pref %u", name, c->code, c->prefix_len,
		  c->mtu, c->holdtime, c->pref);
	CHECK_MSG(c->nbma_len == (w->nbma ? 4 : 0) && c->nbma == ip(w->nbma), "%s: CIE nbma",
		  name);
	CHECK_MSG(c->proto_len == (w->proto ? 4 : 0) && c->proto == ip(w->proto),
		  "%s: CIE proto", name);
}

/* (1) Every captured packet parses to what tcpdump printed. */
static void test_captures(void)
{
	static struct nhrp_msg m;

	for (size_t i = 0; i < N_CAPTURES; i++) {
		const struct capture *c = &captures[i];
		uint8_t buf[MAX_PKT];
		size_t n = load(i, buf), n_ext = 0;
		int rc = parse_exact(buf, n, &m);

		CHECK_MSG(rc == NHRP_PE_OK, "%s: %s", c->name, nhrp_parse_error_name(rc));
		if (rc)
			continue;
		CHECK_MSG(m.afn == NHRP_AFN_IPV4 && m.proto_type == 0x0800, "%s", c->name);
		CHECK_MSG(m.pktsz == n, "%s: pktsz %u of %zu", c->name, m.pktsz, n);
		CHECK_MSG(m.type == c->type && m.hopcnt == c->hopcnt, "%s: type %u hopcnt %u",
			  c->name, m.type, m.hopcnt);
		if (c->type <= NHRP_PURGE_REPLY)
			CHECK_MSG(m.flags == c->flags && m.reqid == c->reqid,
				  "%s: flags %#x id %u", c->name, m.flags, m.reqid);
		CHECK_MSG(m.src_nbma == ip(c->src_nbma), "%s: src nbma", c->name);
		CHECK_MSG(m.src_proto == ip(c->src_proto) && m.dst_proto == ip(c->dst_proto),
			  "%s: protocol addresses", c->name);
		CHECK_MSG(m.n_cie == c->n_cie, "%s: %u CIEs", c->name, m.n_cie);
		if (m.n_cie && c->n_cie)
			check_cie(c->name, &m.cie[0], &c->cie);
		while (n_ext < NHRP_MAX_EXT && c->ext[n_ext])
			n_ext++;
		CHECK_MSG(m.n_ext == n_ext, "%s: %u extensions", c->name, m.n_ext);
		for (size_t j = 0; j < m.n_ext && j < n_ext; j++)
			CHECK_MSG((m.ext[j].type | (m.ext[j].compulsory ? NHRP_EXT_COMPULSORY : 0)) ==
				  c->ext[j], "%s: extension %zu is %#x", c->name, j, m.ext[j].type);
	}
}

static const struct nhrp_ext *ext_of(const struct nhrp_msg *m, uint16_t type, const char *name)
{
	const struct nhrp_ext *e = nhrp_ext_find(m, type);

	CHECK_MSG(e, "%s: no extension %u", name, type);
	return e;
}

/* The extension of that type holds exactly the one CIE w. */
static void check_one_cie(const struct nhrp_msg *m, uint16_t type, const char *name,
			  const struct want_cie *w)
{
	const struct nhrp_ext *e = ext_of(m, type, name);

	CHECK_MSG(e && e->n_cie == 1, "%s: %u CIEs", name, e ? e->n_cie : 0);
	if (e && e->n_cie == 1)
		check_cie(name, &e->cie[0], w);
}

/* Extension contents and the traffic indication's payload, byte by byte. */
static void test_capture_details(void)
{
	static const uint8_t echo_addrs[8] = {10, 255, 255, 3, 10, 255, 255, 2};
	static struct nhrp_msg m;
	const struct nhrp_ext *e;
	uint8_t buf[MAX_PKT];
	size_t n;

	/* Traffic indication: hub 10.255.255.1 tells spoke .3 that its ICMP
	 * echo to .2 (IPv4 header plus 8 bytes, as carried) went via the hub. */
	n = load(CAP_TRAFFIC, buf);
	CHECK_INT(parse_exact(buf, n, &m), NHRP_PE_OK);
	CHECK_INT(m.traffic_code, NHRP_TRAFFIC_REDIRECT);
	CHECK_INT(m.payload_off, 40);
	CHECK_INT(m.payload_len, 28);
	CHECK_INT(m.extoff, 68);
	CHECK(buf[m.payload_off] == 0x45 && buf[m.payload_off + 9] == 1);
	CHECK(!memcmp(buf + m.payload_off + 12, echo_addrs, sizeof(echo_addrs)));
	CHECK(nhrp_ext_find(&m, NHRP_EXT_RESPONDER) == NULL);
	e = ext_of(&m, NHRP_EXT_AUTH, "traffic");
	if (e) {
		CHECK(e->compulsory && e->len == 10 && e->n_cie == 0 && e->off == 80);
		CHECK(!memcmp(buf + e->off, "\0\0\0\1secret", 10));
		/* The compulsory bit is ignored when looking up. */
		CHECK(nhrp_ext_find(&m, NHRP_EXT_AUTH | NHRP_EXT_COMPULSORY) == e);
	}
	e = ext_of(&m, NHRP_EXT_NAT_ADDRESS, "traffic");
	CHECK(e && !e->compulsory && e->len == 0 && e->n_cie == 0);

	/* Forwarded resolution request: the hub added itself as a transit NHS. */
	n = load(CAP_RES_FORWARDED, buf);
	CHECK_INT(parse_exact(buf, n, &m), NHRP_PE_OK);
	check_one_cie(&m, NHRP_EXT_FWD_TRANSIT, "forwarded transit",
		      &(struct want_cie){0, 0, 1514, 7200, 0, "192.168.200.1", "10.255.255.1"});

	/* Resolution reply, sent by spoke .2 straight to .3: the responder is
	 * .2 (prefix length 0, unlike the CIE's 32) and the request's forward
	 * transit record (the hub) is copied back; no reverse transit NHS. */
	n = load(CAP_RES_REPLY, buf);
	CHECK_INT(parse_exact(buf, n, &m), NHRP_PE_OK);
	CHECK_INT(m.extoff, 60);
	check_one_cie(&m, NHRP_EXT_RESPONDER, "res responder",
		      &(struct want_cie){0, 0, 1514, 7200, 0, "192.168.200.2", "10.255.255.2"});
	check_one_cie(&m, NHRP_EXT_FWD_TRANSIT, "res fwd transit",
		      &(struct want_cie){0, 0, 1514, 7200, 0, "192.168.200.1", "10.255.255.1"});
	e = ext_of(&m, NHRP_EXT_REV_TRANSIT, "reply");
	CHECK(e && e->n_cie == 0 && e->len == 0);

	/* Registration reply: responder is the hub; Cisco's NAT extension
	 * (not compulsory) repeats the hub's addresses with holding time 0. */
	n = load(CAP_REG_REPLY, buf);
	CHECK_INT(parse_exact(buf, n, &m), NHRP_PE_OK);
	check_one_cie(&m, NHRP_EXT_RESPONDER, "reg responder",
		      &(struct want_cie){0, 32, 17912, 7200, 0, "169.254.100.5", "155.1.0.5"});
	check_one_cie(&m, NHRP_EXT_NAT_ADDRESS, "reg nat",
		      &(struct want_cie){0, 32, 17912, 0, 0, "169.254.100.5", "155.1.0.5"});
	e = ext_of(&m, NHRP_EXT_NAT_ADDRESS, "reg reply");
	CHECK(e && !e->compulsory);
	e = ext_of(&m, NHRP_EXT_AUTH, "reg reply");
	CHECK(e && e->len == 12 && !memcmp(buf + e->off, "\0\0\0\1NHRPAUTH", 12));

	/* Hub behind NAT: the responder reports 155.1.146.6, the NAT
	 * extension the address the spoke registered to, 155.1.0.6. */
	n = load(CAP_RESPONDER_REPLY, buf);
	CHECK_INT(parse_exact(buf, n, &m), NHRP_PE_OK);
	check_one_cie(&m, NHRP_EXT_RESPONDER, "nat responder",
		      &(struct want_cie){0, 32, 17912, 7200, 0, "6.6.6.6", "155.1.146.6"});
	check_one_cie(&m, NHRP_EXT_NAT_ADDRESS, "nat address",
		      &(struct want_cie){0, 32, 17912, 0, 0, "6.6.6.6", "155.1.0.6"});

	/* IOS: 9-byte authentication value, so End sits at an odd offset. */
	n = load(CAP_IOS, buf);
	CHECK_INT(parse_exact(buf, n, &m), NHRP_PE_OK);
	e = ext_of(&m, NHRP_EXT_AUTH, "ios");
	CHECK(e && e->off == 68 && e->len == 9 && !memcmp(buf + e->off, "\0\0\0\1CISCO", 9));
	CHECK(nhrp_ext_find(&m, NHRP_EXT_VENDOR) == NULL);
}

/* (2) The builder reproduces every capture byte for byte, checksum included. */
static void test_roundtrip(void)
{
	static struct nhrp_msg m;

	for (size_t i = 0; i < N_CAPTURES; i++) {
		uint8_t buf[MAX_PKT], out[MAX_PKT];
		size_t n = load(i, buf);
		struct nhrp_buf b;
		int len;

		if (nhrp_parse(buf, n, &m) != NHRP_PE_OK)
			continue; /* reported by test_captures */
		memset(out, 0xa5, sizeof(out));
		len = rebuild(buf, &m, out, sizeof(out), &b);
		CHECK_MSG(len == (int)n, "%s: rebuilt %d bytes of %zu", captures[i].name, len, n);
		if (len != (int)n)
			continue;
		for (size_t j = 0; j < n; j++)
			if (out[j] != buf[j]) {
				CHECK_MSG(0, "%s: byte %zu is %#x, captured %#x", captures[i].name, j,
					  out[j], buf[j]);
				break;
			}
	}
}

/* (3) Every truncation of every capture, from the buffer or from ar$pktsz. */
static void test_truncation(void)
{
	static struct nhrp_msg m;

	for (size_t i = 0; i < N_CAPTURES; i++) {
		uint8_t buf[MAX_PKT + 8], cut[MAX_PKT];
		size_t n = load(i, buf);

		for (size_t len = 0; len < n; len++) {
			int rc = parse_exact(buf, len, &m);

			CHECK_MSG(rc == NHRP_PE_TRUNCATED, "%s: %zu bytes: %s", captures[i].name, len,
				  nhrp_parse_error_name(rc));
		}
		/* A declared size that cuts the packet short, checksum recomputed. */
		for (size_t sz = 0; sz < n; sz++) {
			int rc;

			memcpy(cut, buf, n);
			cut[10] = (uint8_t)(sz >> 8);
			cut[11] = (uint8_t)sz;
			fix_cksum(cut, sz);
			rc = parse_exact(cut, n, &m);
			CHECK_MSG(rc != NHRP_PE_OK, "%s: pktsz %zu accepted", captures[i].name, sz);
		}
		/* Bytes past ar$pktsz (link padding) are not part of the packet. */
		memset(buf + n, 0xee, 8);
		CHECK_MSG(parse_exact(buf, n + 8, &m) == NHRP_PE_OK && m.pktsz == n,
			  "%s: padded", captures[i].name);
	}
}

/* (4) Lying lengths and bad fields, one change to a capture each. */
struct patch {
	int off;                 /* < 0: from the end of the packet */
	uint8_t n, v[4];
};

static void test_corrupt(void)
{
	static const struct {
		const char *name;
		size_t base;
		struct patch p[2];
		uint8_t grow;            /* zero bytes appended before patching */
		uint8_t keep_cksum;      /* do not recompute the checksum */
		int want;
	} t[] = {
		{"unchanged", CAP_IOS, {{0}}, 0, 0, NHRP_PE_OK},
		{"hop count 0 is the caller's business", CAP_IOS, {{9, 1, {0}}}, 0, 0, NHRP_PE_OK},
		{"snap ignored", CAP_IOS, {{4, 2, {0xaa, 0xaa}}}, 0, 0, NHRP_PE_OK},
		{"pktsz > buffer", CAP_IOS, {{10, 2, {0, 82}}}, 0, 0, NHRP_PE_TRUNCATED},
		{"pktsz 0xffff", CAP_IOS, {{10, 2, {0xff, 0xff}}}, 0, 0, NHRP_PE_TRUNCATED},
		{"pktsz below the headers", CAP_IOS, {{10, 2, {0, 39}}}, 0, 0, NHRP_PE_TRUNCATED},
		{"pktsz inside the CIE, no extensions", CAP_IOS,
		 {{10, 2, {0, 50}}, {14, 2, {0, 0}}}, 0, 0, NHRP_PE_LENGTH},
		{"extoff inside the mandatory part", CAP_IOS, {{14, 2, {0, 30}}}, 0, 0,
		 NHRP_PE_LENGTH},
		{"extoff inside the fixed header", CAP_IOS, {{14, 2, {0, 4}}}, 0, 0, NHRP_PE_LENGTH},
		{"extoff inside the CIE", CAP_IOS, {{14, 2, {0, 46}}}, 0, 0, NHRP_PE_LENGTH},
		{"extoff > pktsz", CAP_IOS, {{14, 2, {0, 82}}}, 0, 0, NHRP_PE_LENGTH},
		{"extoff = pktsz: no End", CAP_TRAFFIC, {{14, 2, {0, 98}}}, 0, 0, NHRP_PE_EXTENSION},
		{"extoff 2 bytes past the CIE", CAP_IOS, {{14, 2, {0, 54}}}, 0, 0, NHRP_PE_LENGTH},
		{"extoff 0: extensions read as a CIE", CAP_IOS, {{14, 2, {0, 0}}}, 0, 0,
		 NHRP_PE_ADDR_LEN},
		{"CIE NBMA length 5", CAP_IOS, {{48, 1, {5}}}, 0, 0, NHRP_PE_ADDR_LEN},
		{"CIE protocol length 5", CAP_IOS, {{50, 1, {5}}}, 0, 0, NHRP_PE_ADDR_LEN},
		{"CIE subaddress", CAP_IOS, {{49, 1, {4}}}, 0, 0, NHRP_PE_ADDR_LEN},
		{"CIE E.164 NBMA", CAP_IOS, {{48, 1, {0x44}}}, 0, 0, NHRP_PE_AFN},
		{"CIE addresses overrun extoff", CAP_IOS, {{48, 1, {4}}}, 0, 0, NHRP_PE_LENGTH},
		{"extension length overruns pktsz", CAP_IOS, {{54, 2, {1, 0}}}, 0, 0,
		 NHRP_PE_EXTENSION},
		{"authentication length past pktsz", CAP_IOS, {{66, 2, {0, 14}}}, 0, 0,
		 NHRP_PE_EXTENSION},
		{"authentication swallows End", CAP_IOS, {{66, 2, {0, 13}}}, 0, 0,
		 NHRP_PE_EXTENSION},
		{"End header cut by pktsz", CAP_IOS, {{10, 2, {0, 79}}}, 0, 0, NHRP_PE_EXTENSION},
		{"missing End", CAP_IOS, {{-4, 2, {0x80, 0x08}}}, 0, 0, NHRP_PE_EXTENSION},
		{"End without the compulsory bit", CAP_IOS, {{-4, 1, {0}}}, 0, 0, NHRP_PE_OK},
		{"bytes after End", CAP_IOS, {{10, 2, {0, 85}}}, 4, 0, NHRP_PE_EXTENSION},
		{"End with a length", CAP_IOS, {{10, 2, {0, 82}}, {-3, 2, {0, 1}}}, 1, 0,
		 NHRP_PE_EXTENSION},
		{"bad checksum", CAP_IOS, {{12, 1, {0x17}}}, 0, 1, NHRP_PE_CHECKSUM},
		{"checksum field zero", CAP_IOS, {{12, 2, {0, 0}}}, 0, 1, NHRP_PE_CHECKSUM},
		{"payload bit flipped", CAP_IOS, {{30, 1, {0x0b}}}, 0, 1, NHRP_PE_CHECKSUM},
		{"version 2", CAP_IOS, {{16, 1, {2}}}, 0, 0, NHRP_PE_VERSION},
		{"version 0", CAP_IOS, {{16, 1, {0}}}, 0, 0, NHRP_PE_VERSION},
		{"afn 2 (IPv6)", CAP_IOS, {{0, 2, {0, 2}}}, 0, 0, NHRP_PE_AFN},
		{"protocol 0x86dd", CAP_IOS, {{2, 2, {0x86, 0xdd}}}, 0, 0, NHRP_PE_AFN},
		{"shtl E.164", CAP_IOS, {{18, 1, {0x44}}}, 0, 0, NHRP_PE_AFN},
		{"shtl reserved bit", CAP_IOS, {{18, 1, {0x84}}}, 0, 0, NHRP_PE_ADDR_LEN},
		{"shtl 0", CAP_IOS, {{18, 1, {0}}}, 0, 0, NHRP_PE_ADDR_LEN},
		{"shtl 6", CAP_IOS, {{18, 1, {6}}}, 0, 0, NHRP_PE_ADDR_LEN},
		{"sstl 4", CAP_IOS, {{19, 1, {4}}}, 0, 0, NHRP_PE_ADDR_LEN},
		{"spl 16", CAP_IOS, {{20, 1, {16}}}, 0, 0, NHRP_PE_ADDR_LEN},
		{"dpl 0", CAP_IOS, {{21, 1, {0}}}, 0, 0, NHRP_PE_ADDR_LEN},
		{"type 0", CAP_IOS, {{17, 1, {0}}}, 0, 0, NHRP_PE_TYPE},
		{"type 9", CAP_IOS, {{17, 1, {9}}}, 0, 0, NHRP_PE_TYPE},
		{"type 7: CIE and extensions as error payload", CAP_IOS, {{17, 1, {7}}}, 0, 0,
		 NHRP_PE_OK},
		{"responder CIE NBMA length 5", CAP_REG_REPLY, {{64, 1, {5}}}, 0, 0,
		 NHRP_PE_ADDR_LEN},
		{"responder CIE overruns its extension", CAP_REG_REPLY, {{54, 2, {0, 19}}}, 0, 0,
		 NHRP_PE_EXTENSION},
		{"responder value too short for a CIE", CAP_REG_REPLY, {{54, 2, {0, 4}}}, 0, 0,
		 NHRP_PE_EXTENSION},
		{"traffic indication: extoff into the payload", CAP_TRAFFIC, {{14, 2, {0, 60}}}, 0,
		 0, NHRP_PE_EXTENSION},
		{"traffic indication: extoff 0", CAP_TRAFFIC, {{14, 2, {0, 0}}}, 0, 0, NHRP_PE_OK},
		{"traffic indication: End alone", CAP_TRAFFIC, {{14, 2, {0, 94}}}, 0, 0, NHRP_PE_OK},
		{"traffic indication: spl 0", CAP_TRAFFIC, {{20, 1, {0}}}, 0, 0, NHRP_PE_ADDR_LEN},
	};
	static struct nhrp_msg m;

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		uint8_t buf[MAX_PKT + 8];
		size_t n = load(t[i].base, buf);
		int rc;

		memset(buf + n, 0, t[i].grow);
		n += t[i].grow;
		for (size_t j = 0; j < ARRAY_SIZE(t[i].p); j++) {
			const struct patch *p = &t[i].p[j];
			size_t off = p->off < 0 ? n - (size_t)-p->off : (size_t)p->off;

			memcpy(buf + off, p->v, p->n);
		}
		if (!t[i].keep_cksum)
			fix_cksum(buf, n);
		rc = parse_exact(buf, n, &m);
		CHECK_MSG(rc == t[i].want, "%s: got %s, want %s", t[i].name,
			  nhrp_parse_error_name(rc), nhrp_parse_error_name(t[i].want));
	}
}

static const struct nhrp_cie host_cie = {
	.prefix_len = 32, .mtu = 1400, .holdtime = 600, .nbma_len = 4, .proto_len = 4,
	.nbma = 0x0100000a, .proto = 0x010010ac,
};

/* NHRP_MAX_CIE is kept, one more is refused, in the body and in an extension. */
static void test_too_many(void)
{
	static struct nhrp_msg m;
	static const struct {
		const char *name;
		unsigned body_cies, ext_cies, exts;
		int want;
	} t[] = {
		{"max CIEs", NHRP_MAX_CIE, 0, 0, NHRP_PE_OK},
		{"max + 1 CIEs", NHRP_MAX_CIE + 1, 0, 0, NHRP_PE_TOO_MANY},
		{"max CIEs in an extension", 1, NHRP_MAX_CIE, 1, NHRP_PE_OK},
		{"max + 1 CIEs in an extension", 1, NHRP_MAX_CIE + 1, 1, NHRP_PE_TOO_MANY},
		{"max extensions", 1, 0, NHRP_MAX_EXT, NHRP_PE_OK},
		{"max + 1 extensions", 1, 0, NHRP_MAX_EXT + 1, NHRP_PE_TOO_MANY},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		uint8_t out[2048];
		struct nhrp_buf b;
		int len, rc;

		nhrp_build_init(&b, out, sizeof(out), NHRP_RESOLUTION_REPLY, 255,
				NHRP_RES_F_Q | NHRP_RES_F_A, 77, 0x0300000a, 0x030010ac,
				0x010010ac);
		for (unsigned j = 0; j < t[i].body_cies; j++)
			nhrp_put_cie(&b, &host_cie);
		for (unsigned j = 0; j < t[i].exts; j++) {
			/* Forward transit records: CIE carriers, repeatable. */
			nhrp_ext_begin(&b, NHRP_EXT_FWD_TRANSIT, 1);
			for (unsigned k = 0; k < t[i].ext_cies; k++)
				nhrp_put_cie(&b, &host_cie);
			nhrp_ext_end(&b);
		}
		len = nhrp_build_finish(&b);
		CHECK_MSG(len > 0, "%s: build %d", t[i].name, len);
		if (len <= 0)
			continue;
		rc = parse_exact(out, (size_t)len, &m);
		CHECK_MSG(rc == t[i].want, "%s: got %s", t[i].name, nhrp_parse_error_name(rc));
		if (rc == NHRP_PE_OK) {
			CHECK_INT(m.n_cie, t[i].body_cies);
			CHECK_INT(m.n_ext, t[i].exts);
			if (m.n_ext)
				CHECK_INT(m.ext[0].n_cie, t[i].ext_cies);
		}
	}
}

/* (5) The malformed capture is refused, whole or cut. */
static void test_pb_nhrp_1(void)
{
	static struct nhrp_msg m;
	uint8_t buf[MAX_PKT];
	size_t n = unhex(pb_nhrp_1_hex, buf, sizeof(buf));

	CHECK_INT(n, 40);
	CHECK_INT(parse_exact(buf, n, &m), NHRP_PE_AFN);
	for (size_t len = 0; len < n; len++)
		CHECK(parse_exact(buf, len, &m) != NHRP_PE_OK);
}

/* (6) Too small a buffer: -ENOSPC, nothing written at or past cap. */
static void test_builder_overflow(void)
{
	static struct nhrp_msg m;

	for (size_t i = 0; i < N_CAPTURES; i++) {
		uint8_t buf[MAX_PKT];
		size_t n = load(i, buf);

		if (nhrp_parse(buf, n, &m) != NHRP_PE_OK)
			continue;
		for (size_t cap = 0; cap <= n; cap++) {
			struct tbuf g = tbuf_guarded(NULL, cap);
			uint8_t *h = malloc(cap ? cap : 1);
			struct nhrp_buf b;
			int rc = rebuild(buf, &m, g.p, cap, &b);
			int rc2 = rebuild(buf, &m, h, cap, &b);

			if (cap < n)
				CHECK_MSG(rc == -ENOSPC && rc2 == -ENOSPC && b.len <= cap,
					  "%s: cap %zu: %d, len %zu", captures[i].name, cap, rc, b.len);
			else
				CHECK_MSG(rc == (int)n && rc2 == (int)n && !memcmp(g.p, buf, n) &&
					  !memcmp(h, buf, n), "%s: cap %zu: %d", captures[i].name,
					  cap, rc);
			tbuf_free(&g);
			free(h);
		}
	}
}

/* After an overflow every call is a no-op; finish keeps failing. */
static void test_builder_sticky(void)
{
	uint8_t out[64];
	struct nhrp_buf b;
	size_t len;

	memset(out, 0x5a, sizeof(out));
	nhrp_build_init(&b, out, 50, NHRP_REGISTRATION_REQUEST, 255, NHRP_REG_F_U, 1, 1, 2, 3);
	CHECK_INT(b.err, 0);
	nhrp_put_cie(&b, &host_cie); /* 20 bytes: does not fit in 50 - 40 */
	CHECK_INT(b.err, -ENOSPC);
	len = b.len;
	CHECK_INT(len, 40);
	nhrp_put_raw(&b, "x", 1);
	nhrp_ext_begin(&b, NHRP_EXT_RESPONDER, 1);
	nhrp_ext_end(&b);
	CHECK_INT(b.len, len);
	CHECK_INT(nhrp_build_finish(&b), -ENOSPC);
	CHECK_INT(nhrp_build_finish(&b), -ENOSPC);
	for (size_t i = 40; i < sizeof(out); i++)
		CHECK_MSG(out[i] == 0x5a, "byte %zu written", i);

	nhrp_build_init(&b, NULL, 0, NHRP_REGISTRATION_REQUEST, 255, 0, 1, 1, 2, 3);
	CHECK_INT(nhrp_build_finish(&b), -ENOSPC);
	nhrp_build_init(&b, out, 39, NHRP_REGISTRATION_REQUEST, 255, 0, 1, 1, 2, 3);
	CHECK_INT(nhrp_build_finish(&b), -ENOSPC);
	/* No extension: no End, extoff 0. */
	nhrp_build_init(&b, out, sizeof(out), NHRP_PURGE_REQUEST, 1, NHRP_PURGE_F_N, 9, 1, 2, 3);
	CHECK_INT(nhrp_build_finish(&b), 40);
	CHECK(out[14] == 0 && out[15] == 0 && out[10] == 0 && out[11] == 40);
	/* Room for the extensions but not for End. */
	nhrp_build_init(&b, out, 44, NHRP_PURGE_REQUEST, 1, 0, 9, 1, 2, 3);
	nhrp_ext_begin(&b, NHRP_EXT_RESPONDER, 1);
	nhrp_ext_end(&b);
	CHECK_INT(nhrp_build_finish(&b), -ENOSPC);
}

/* ar$pktsz, ar$extoff and extension lengths are 16 bits: longer is refused. */
static void test_builder_too_long(void)
{
	size_t cap = 3 * 65536;
	uint8_t *out = malloc(cap), *junk = calloc(1, 65536);
	struct nhrp_buf b;

	if (!out || !junk)
		exit(2);
	/* Packet of 65536 bytes. */
	nhrp_build_traffic_init(&b, out, cap, 255, 0, 1, 2, 3);
	nhrp_put_raw(&b, junk, 65536 - 40);
	CHECK_INT(nhrp_build_finish(&b), -EMSGSIZE);
	/* The largest packet: 65535 bytes. */
	nhrp_build_traffic_init(&b, out, cap, 255, 0, 1, 2, 3);
	nhrp_put_raw(&b, junk, 65535 - 40);
	CHECK_INT(nhrp_build_finish(&b), 65535);
	/* An extension value of 65536 bytes. */
	nhrp_build_traffic_init(&b, out, cap, 255, 0, 1, 2, 3);
	nhrp_ext_begin(&b, NHRP_EXT_VENDOR, 0);
	nhrp_put_raw(&b, junk, 65536);
	nhrp_ext_end(&b);
	CHECK_INT(nhrp_build_finish(&b), -EMSGSIZE);
	/* An extension starting past ar$extoff's reach. */
	nhrp_build_traffic_init(&b, out, cap, 255, 0, 1, 2, 3);
	nhrp_put_raw(&b, junk, 65536);
	nhrp_ext_begin(&b, NHRP_EXT_VENDOR, 0);
	CHECK_INT(b.err, -EMSGSIZE);
	free(out);
	free(junk);
}

/* Calls out of order are refused rather than producing a bad packet. */
static void test_builder_misuse(void)
{
	static const char *const names[] = {
		"type 7 via nhrp_build_init", "CIE NBMA length 5", "CIE protocol length 1",
		"CIE after an extension", "raw after an extension", "nested extensions",
		"End by hand", "end without begin", "finish with an extension open",
	};
	struct nhrp_cie bad = host_cie;
	uint8_t out[256];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct nhrp_buf b;

		nhrp_build_init(&b, out, sizeof(out), i == 0 ? NHRP_ERROR_INDICATION :
				NHRP_RESOLUTION_REQUEST, 255, 0, 1, 1, 2, 3);
		switch (i) {
		case 1:
			bad.nbma_len = 5;
			nhrp_put_cie(&b, &bad);
			break;
		case 2:
			bad = host_cie;
			bad.proto_len = 1;
			nhrp_put_cie(&b, &bad);
			break;
		case 3:
		case 4:
			nhrp_ext_begin(&b, NHRP_EXT_RESPONDER, 1);
			nhrp_ext_end(&b);
			if (i == 3)
				nhrp_put_cie(&b, &host_cie);
			else
				nhrp_put_raw(&b, "x", 1);
			break;
		case 5:
			nhrp_ext_begin(&b, NHRP_EXT_RESPONDER, 1);
			nhrp_ext_begin(&b, NHRP_EXT_FWD_TRANSIT, 1);
			break;
		case 6:
			nhrp_ext_begin(&b, NHRP_EXT_END, 1);
			break;
		case 7:
			nhrp_ext_end(&b);
			break;
		case 8:
			nhrp_ext_begin(&b, NHRP_EXT_RESPONDER, 1);
			break;
		}
		CHECK_MSG(nhrp_build_finish(&b) == -EINVAL, "%s", names[i]);
	}
}

/* Error indication built and parsed back; the compulsory bit in the type
 * works like the compulsory argument. */
static void test_error_indication(void)
{
	static struct nhrp_msg m;
	uint8_t bad[MAX_PKT], out[MAX_PKT];
	size_t n = load(CAP_IOS, bad);
	struct nhrp_buf b;
	int len;

	nhrp_build_error_init(&b, out, sizeof(out), 255, NHRP_ERR_AUTH_FAILURE, 68, 0x0100000a,
			      0x010010ac, 0x020010ac);
	nhrp_put_raw(&b, bad, n);
	nhrp_ext_begin(&b, NHRP_EXT_VENDOR, 0);
	nhrp_put_raw(&b, "\x00\x00\x0c\x01", 4);
	nhrp_ext_end(&b);
	nhrp_ext_begin(&b, NHRP_EXT_AUTH | NHRP_EXT_COMPULSORY, 0);
	nhrp_ext_end(&b);
	len = nhrp_build_finish(&b);
	CHECK_INT(len, 40 + (int)n + 8 + 4 + 4);
	CHECK_INT(parse_exact(out, (size_t)len, &m), NHRP_PE_OK);
	CHECK_INT(m.type, NHRP_ERROR_INDICATION);
	CHECK_INT(m.err_code, NHRP_ERR_AUTH_FAILURE);
	CHECK_INT(m.err_offset, 68);
	CHECK_INT(m.flags, 0);
	CHECK_INT(m.reqid, 0);
	CHECK_INT(m.payload_off, 40);
	CHECK_INT(m.payload_len, n);
	CHECK(!memcmp(out + m.payload_off, bad, n));
	CHECK_INT(m.extoff, 40 + n);
	CHECK_INT(m.n_ext, 2);
	CHECK(m.ext[0].type == NHRP_EXT_VENDOR && !m.ext[0].compulsory && m.ext[0].len == 4);
	CHECK(m.ext[1].type == NHRP_EXT_AUTH && m.ext[1].compulsory && m.ext[1].len == 0);
	CHECK(out[22] == 0 && out[23] == 0 && out[24] == 0 && out[25] == NHRP_ERR_AUTH_FAILURE);

	nhrp_build_traffic_init(&b, out, sizeof(out), 255, 0x1234, 1, 2, 3);
	nhrp_put_raw(&b, bad, 20);
	len = nhrp_build_finish(&b);
	CHECK_INT(len, 60);
	CHECK_INT(parse_exact(out, (size_t)len, &m), NHRP_PE_OK);
	CHECK_INT(m.traffic_code, 0x1234);
	CHECK_INT(m.payload_len, 20);
	CHECK_INT(m.n_ext, 0);
}

/* Random byte changes to the captures, checksum recomputed: whatever
 * parses must rebuild to the same bytes and parse again. */
static void test_mutations(void)
{
	static struct nhrp_msg m, m2;
	uint32_t seed = 2332;
	unsigned accepted = 0;

	for (unsigned iter = 0; iter < 20000; iter++) {
		uint8_t buf[MAX_PKT], out[MAX_PKT];
		size_t i = check_rand(&seed) % N_CAPTURES;
		size_t n = load(i, buf);
		unsigned k = 1 + check_rand(&seed) % 3;
		struct nhrp_buf b;
		int rc, len;

		while (k--)
			buf[check_rand(&seed) % n] = (uint8_t)check_rand(&seed);
		fix_cksum(buf, n);
		rc = parse_exact(buf, n, &m);
		if (rc != NHRP_PE_OK)
			continue;
		accepted++;
		len = rebuild(buf, &m, out, sizeof(out), &b);
		/* An extension list of End alone is not rebuilt (no End without
		 * an extension): 4 bytes shorter. */
		CHECK_MSG(len == m.pktsz - (m.extoff && !m.n_ext ? 4 : 0),
			  "%s iter %u: rebuilt %d of %u", captures[i].name, iter, len, m.pktsz);
		if (len <= 0)
			continue;
		rc = nhrp_parse(out, (size_t)len, &m2);
		CHECK_MSG(rc == NHRP_PE_OK && m2.n_cie == m.n_cie && m2.n_ext == m.n_ext &&
			  m2.reqid == m.reqid, "%s iter %u: reparse %s", captures[i].name, iter,
			  nhrp_parse_error_name(rc));
	}
	CHECK_MSG(accepted > 1000, "only %u mutants accepted", accepted);
}

static void test_error_names(void)
{
	for (int e = 0; e < NHRP_PE__COUNT; e++) {
		const char *s = nhrp_parse_error_name(e);

		CHECK_MSG(s && *s && strcmp(s, "unknown"), "error %d", e);
		for (int f = 0; f < e; f++)
			CHECK(strcmp(s, nhrp_parse_error_name(f)));
	}
	CHECK_STR(nhrp_parse_error_name(NHRP_PE__COUNT), "unknown");
	CHECK_STR(nhrp_parse_error_name(-1), "unknown");
}

/* Which Error Indication answers a packet that does not parse, and the
 * offset it names (RFC 2332 5.2.7: 7 Protocol Error, 9 Invalid Extension). */
static void test_parse_error_answers(void)
{
	static const struct {
		const char *name;
		struct patch p;
		uint8_t keep_cksum;
		int want;
		uint16_t code, at;
	} t[] = {
		{"version 2", {16, 1, {2}}, 0, NHRP_PE_VERSION, NHRP_ERR_PROTOCOL, 16},
		{"protocol 0x86dd", {2, 2, {0x86, 0xdd}}, 0, NHRP_PE_AFN, NHRP_ERR_PROTOCOL, 2},
		{"afn 2", {0, 2, {0, 2}}, 0, NHRP_PE_AFN, NHRP_ERR_PROTOCOL, 0},
		{"bad checksum", {12, 1, {0x17}}, 1, NHRP_PE_CHECKSUM, NHRP_ERR_PROTOCOL, 12},
		{"type 9", {17, 1, {9}}, 0, NHRP_PE_TYPE, NHRP_ERR_PROTOCOL, 17},
		{"spl 16", {20, 1, {16}}, 0, NHRP_PE_ADDR_LEN, NHRP_ERR_PROTOCOL, 20},
		{"dpl 0", {21, 1, {0}}, 0, NHRP_PE_ADDR_LEN, NHRP_ERR_PROTOCOL, 21},
		{"extoff 0: extensions read as a CIE", {14, 2, {0, 0}}, 0, NHRP_PE_ADDR_LEN,
		 NHRP_ERR_PROTOCOL, 52},
		{"extoff inside the CIE: the CIE overruns", {14, 2, {0, 46}}, 0, NHRP_PE_LENGTH,
		 NHRP_ERR_PROTOCOL, 40},
		{"extoff > pktsz", {14, 2, {0, 82}}, 0, NHRP_PE_LENGTH, NHRP_ERR_PROTOCOL, 14},
		{"CIE NBMA length 5", {48, 1, {5}}, 0, NHRP_PE_ADDR_LEN, NHRP_ERR_PROTOCOL, 40},
		{"extension overruns pktsz", {54, 2, {1, 0}}, 0, NHRP_PE_EXTENSION,
		 NHRP_ERR_INVALID_EXT, 52},
		{"authentication swallows End: no End after it", {66, 2, {0, 13}}, 0,
		 NHRP_PE_EXTENSION, NHRP_ERR_INVALID_EXT, 64},
		{"pktsz > buffer: no answer", {10, 2, {0, 82}}, 0, NHRP_PE_TRUNCATED, 0, 10},
	};
	static struct nhrp_msg m;
	uint8_t orig[MAX_PKT];
	size_t n0 = load(CAP_IOS, orig);

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		uint8_t buf[MAX_PKT];
		size_t n = n0;
		int rc;

		memcpy(buf, orig, n);
		memcpy(buf + t[i].p.off, t[i].p.v, t[i].p.n);
		if (!t[i].keep_cksum)
			fix_cksum(buf, n);
		rc = parse_exact(buf, n, &m);
		CHECK_MSG(rc == t[i].want, "%s: got %s", t[i].name, nhrp_parse_error_name(rc));
		CHECK_MSG(nhrp_parse_error_code(rc) == t[i].code, "%s: code %u", t[i].name,
			  nhrp_parse_error_code(rc));
		CHECK_MSG(m.err_at == t[i].at, "%s: offset %u, want %u", t[i].name, m.err_at,
			  t[i].at);
		/* What the answer is built from: the type, size and sender carried. */
		CHECK_MSG(m.type == (t[i].p.off == 17 ? 9 : NHRP_REGISTRATION_REQUEST) &&
			  m.pktsz == RTE_MIN_(rd16(buf + 10), n) &&
			  (t[i].p.off == 20 || m.src_proto == ip(captures[CAP_IOS].src_proto)),
			  "%s: type %u pktsz %u", t[i].name, m.type, m.pktsz);
	}
	CHECK_INT(nhrp_parse_error_code(NHRP_PE_TOO_MANY), 0);
	CHECK_INT(nhrp_parse_error_code(NHRP_PE_OK), 0);
	CHECK_INT(parse_exact(orig, n0, &m), NHRP_PE_OK);
	CHECK_INT(m.err_at, 0);
}

/* Protocol rules of packets that parse (nhrp_check). */
static void test_check(void)
{
	static struct nhrp_msg m;
	uint8_t buf[MAX_PKT], out[MAX_PKT];
	struct nhrp_buf b;
	uint16_t off = 0xffff;
	size_t n;
	int len;

	/* Every packet Cisco and the others sent keeps the rules. */
	for (size_t i = 0; i < N_CAPTURES; i++) {
		n = load(i, buf);
		if (parse_exact(buf, n, &m) != NHRP_PE_OK)
			continue;
		CHECK_MSG(nhrp_check(&m, &off) == 0, "%s: code %u at %u", captures[i].name,
			  nhrp_check(&m, &off), off);
	}
	/* IOS registers with prefix length 255: not an error. */
	n = load(CAP_IOS, buf);
	CHECK_INT(parse_exact(buf, n, &m), NHRP_PE_OK);
	CHECK_INT(m.cie[0].prefix_len, 255);
	CHECK_INT(nhrp_check(&m, &off), 0);

	/* A resolution reply that answers nothing. */
	nhrp_build_init(&b, out, sizeof(out), NHRP_RESOLUTION_REPLY, 255, 0, 1, 0x0100000a,
			0x010010ac, 0x020010ac);
	len = nhrp_build_finish(&b);
	CHECK_INT(parse_exact(out, (size_t)len, &m), NHRP_PE_OK);
	CHECK_INT(nhrp_check(&m, &off), NHRP_ERR_PROTOCOL);
	CHECK_INT(off, 40);

	/* A registration request registering nothing. */
	nhrp_build_init(&b, out, sizeof(out), NHRP_REGISTRATION_REQUEST, 255, 0, 1, 0x0100000a,
			0x010010ac, 0x020010ac);
	len = nhrp_build_finish(&b);
	CHECK_INT(parse_exact(out, (size_t)len, &m), NHRP_PE_OK);
	CHECK_INT(nhrp_check(&m, &off), NHRP_ERR_PROTOCOL);
	CHECK_INT(off, 40);

	/* A resolution request whose Responder Address is already filled. */
	nhrp_build_init(&b, out, sizeof(out), NHRP_RESOLUTION_REQUEST, 255, 0, 2, 0x0100000a,
			0x010010ac, 0x020010ac);
	nhrp_put_cie(&b, &host_cie);
	nhrp_ext_begin(&b, NHRP_EXT_FWD_TRANSIT, 1);
	nhrp_ext_end(&b);
	nhrp_ext_begin(&b, NHRP_EXT_RESPONDER, 1);
	nhrp_put_cie(&b, &host_cie);
	nhrp_ext_end(&b);
	len = nhrp_build_finish(&b);
	CHECK_INT(parse_exact(out, (size_t)len, &m), NHRP_PE_OK);
	CHECK_INT(nhrp_check(&m, &off), NHRP_ERR_INVALID_EXT);
	CHECK_INT(off, 40 + 20 + 4);

	/* The same request with it empty is fine; a second forward record is not. */
	nhrp_build_init(&b, out, sizeof(out), NHRP_RESOLUTION_REQUEST, 255, 0, 3, 0x0100000a,
			0x010010ac, 0x020010ac);
	nhrp_put_cie(&b, &host_cie);
	nhrp_ext_begin(&b, NHRP_EXT_RESPONDER, 1);
	nhrp_ext_end(&b);
	len = nhrp_build_finish(&b);
	CHECK_INT(parse_exact(out, (size_t)len, &m), NHRP_PE_OK);
	CHECK_INT(nhrp_check(&m, &off), 0);
	nhrp_build_init(&b, out, sizeof(out), NHRP_RESOLUTION_REQUEST, 255, 0, 4, 0x0100000a,
			0x010010ac, 0x020010ac);
	nhrp_put_cie(&b, &host_cie);
	nhrp_ext_begin(&b, NHRP_EXT_FWD_TRANSIT, 1);
	nhrp_ext_end(&b);
	nhrp_ext_begin(&b, NHRP_EXT_FWD_TRANSIT, 1);
	nhrp_ext_end(&b);
	len = nhrp_build_finish(&b);
	CHECK_INT(parse_exact(out, (size_t)len, &m), NHRP_PE_OK);
	CHECK_INT(nhrp_check(&m, &off), NHRP_ERR_INVALID_EXT);
	CHECK_INT(off, 40 + 20 + 4);

	/* A reply naming two responders. */
	nhrp_build_init(&b, out, sizeof(out), NHRP_RESOLUTION_REPLY, 255, 0, 5, 0x0100000a,
			0x010010ac, 0x020010ac);
	nhrp_put_cie(&b, &host_cie);
	nhrp_ext_begin(&b, NHRP_EXT_RESPONDER, 1);
	nhrp_put_cie(&b, &host_cie);
	nhrp_put_cie(&b, &host_cie);
	nhrp_ext_end(&b);
	len = nhrp_build_finish(&b);
	CHECK_INT(parse_exact(out, (size_t)len, &m), NHRP_PE_OK);
	CHECK_INT(nhrp_check(&m, &off), NHRP_ERR_INVALID_EXT);
	CHECK_INT(off, 60);
}

int main(void)
{
	test_captures();
	test_capture_details();
	test_roundtrip();
	test_truncation();
	test_corrupt();
	test_too_many();
	test_pb_nhrp_1();
	test_builder_overflow();
	test_builder_sticky();
	test_builder_too_long();
	test_builder_misuse();
	test_error_indication();
	test_mutations();
	test_error_names();
	test_parse_error_answers();
	test_check();
	return check_done("test_nhrp");
}
