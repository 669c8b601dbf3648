// The floor of ebpf-capture's approach: raw tracepoint programs on sys_enter and sys_exit that
// do nothing. Attaching them puts every syscall on the tracepoint path; what that alone costs the
// benchmark's write loop is what no recording on these hooks can go below (docs/benchmarks.md).
// Built against ebpf-capture/bpf/vmlinux.h; loaded by any raw-tracepoint loader (see the docs).
#include "../../ebpf-capture/bpf/vmlinux.h"
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("raw_tp/sys_enter") int e(void *ctx) { return 0; }
SEC("raw_tp/sys_exit") int x(void *ctx) { return 0; }
