#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Prepare a Debian 12 machine for building, running and testing egress-audit:
# install the Debian packages that are missing (nothing when all are
# present) and mount bpffs and tracefs when they are absent.
set -eu

PACKAGES="make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
libdeflate-dev libmount-dev
libcmocka-dev libssl-dev openssl librelp-dev libinih-dev libmaxminddb-dev
libclang-rt-14-dev iproute2 python3 rsyslog rsyslog-relp rsyslog-openssl rsyslog-gnutls
iperf3 libbpf-tools auditd liburing-dev util-linux systemd btrfs-progs
python3-prometheus-client python3-yaml"

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages:$missing (run as root to install)" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# policy-rc.d keeps the installed daemons (rsyslog, auditd) from
	# starting: the tests start their own instances.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

mounted() {
	awk -v t="$1" '$3 == t { found = 1 } END { exit !found }' /proc/self/mounts
}

if [ "$(id -u)" -eq 0 ]; then
	if ! mounted bpf; then
		mkdir -p /sys/fs/bpf
		mount -t bpf bpf /sys/fs/bpf
		echo "setup: mounted bpffs on /sys/fs/bpf"
	fi
	if ! mounted tracefs; then
		mkdir -p /sys/kernel/tracing
		mount -t tracefs tracefs /sys/kernel/tracing
		echo "setup: mounted tracefs on /sys/kernel/tracing"
	fi
fi
