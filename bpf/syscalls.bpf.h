/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * System calls as the raw tracepoints and the send hook see them: the
 * caller's registers, and on x86 the numbers of the calls that taint, in
 * the 64-bit and the 32-bit table (a 32-bit call: a 32-bit program, or
 * int 0x80 from a 64-bit one, which fires none of the per-call
 * tracepoints).
 */
#ifndef EA_SYSCALLS_BPF_H
#define EA_SYSCALLS_BPF_H

/* The caller's arguments, in the task's saved registers. */
static __always_inline struct pt_regs *call_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

#ifdef __TARGET_ARCH_x86
#define TS_COMPAT		0x0002
enum {	/* arch/x86/entry/syscalls/syscall_64.tbl */
	X64_OPEN		= 2,
	X64_RECVMSG		= 47,
	X64_OPENAT		= 257,
	X64_RECVMMSG		= 299,
	X64_OPEN_BY_HANDLE_AT	= 304,
	X64_OPENAT2		= 437,
	X64_PIDFD_GETFD		= 438,
};
enum {	/* arch/x86/entry/syscalls/syscall_32.tbl */
	IA32_OPEN		= 5,
	IA32_SOCKETCALL		= 102,
	IA32_SENDFILE		= 187,
	IA32_SENDFILE64		= 239,
	IA32_OPENAT		= 295,
	IA32_SPLICE		= 313,
	IA32_RECVMMSG		= 337,
	IA32_OPEN_BY_HANDLE_AT	= 342,
	IA32_RECVMSG		= 372,
	IA32_COPY_FILE_RANGE	= 377,
	IA32_RECVMMSG_TIME64	= 417,
	IA32_OPENAT2		= 437,
	IA32_PIDFD_GETFD	= 438,
};
_Static_assert(X64_OPENAT2 == IA32_OPENAT2 && X64_PIDFD_GETFD == IA32_PIDFD_GETFD,
	       "syscall_exit takes these calls by one number for both tables");
enum {	/* socketcall's calls, include/uapi/linux/net.h */
	SYS_RECVMSG		= 17,
	SYS_RECVMMSG		= 19,
};

static __always_inline bool in_32bit_syscall(void)
{
	return bpf_get_current_task_btf()->thread_info.status & TS_COMPAT;
}

/*
 * The descriptor the 32-bit call nr moves bytes out of; -1 when it moves
 * none. The number is looked at first: a call of no other number costs
 * the task's status no load.
 */
static __always_inline int moved_fd32(const struct pt_regs *regs, long nr)
{
	switch (nr) {
	case IA32_SENDFILE:
	case IA32_SENDFILE64:
		return in_32bit_syscall() ? (int)regs->cx : -1;
	case IA32_SPLICE:
	case IA32_COPY_FILE_RANGE:
		return in_32bit_syscall() ? (int)regs->bx : -1;
	}
	return -1;
}
#endif /* __TARGET_ARCH_x86 */

#endif /* EA_SYSCALLS_BPF_H */
