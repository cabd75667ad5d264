# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# egress-audit. `make run` and `make test` are all a user needs: both set up
# a fresh Debian 12 machine (packages, bpffs, tracefs) before they build.
# Objects are listed in Kbuild. V=1 shows full commands.

include Kbuild

VERSION	:= 0.1.0

PREFIX	?= /usr/local
DESTDIR	?=
BINDIR	 = $(PREFIX)/sbin
DATADIR	 = $(PREFIX)/share/egress-audit
DOCDIR	 = $(PREFIX)/share/doc/egress-audit
SYSCONFDIR ?= /etc
UNITDIR	?= $(PREFIX)/lib/systemd/system

OUT	:= build
OBJ	:= $(OUT)/obj
SKEL	:= $(OUT)/skel
ARCH	:= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

CC	?= gcc
CLANG	?= clang
BPFTOOL	?= bpftool

VMLINUX_BTF	:= /sys/kernel/btf/vmlinux
VMLINUX_FALLBACK := bpf/vmlinux/$(ARCH)/vmlinux.h
VMLINUX_H	:= $(OUT)/vmlinux/vmlinux.h

CFLAGS	?= -O2 -g
EA_CFLAGS := $(CFLAGS) -Wall -Wextra -Wno-unused-parameter -Werror -std=gnu11 \
	     -D_GNU_SOURCE -Iinclude -Iuser -I$(SKEL) -I$(OUT)/gen -MMD -MP
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -I$(OUT)/vmlinux -Iinclude -Ibpf
LIBS	:= -lbpf -lelf -lz -ldeflate -linih -lmaxminddb -lmount -lrelp -lssl -lcrypto -lpthread -lm
TEST_LIBS := $(LIBS) -lcmocka

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_OBJS	:= $(patsubst bpf/%.bpf.o,$(OUT)/bpf/%.bpf.o,$(bpf-y) $(bpf-test-y))
SKELS		:= $(patsubst bpf/%.bpf.o,$(SKEL)/%.skel.h,$(bpf-y) $(bpf-test-y))
LIBEA_OBJS	:= $(addprefix $(OBJ)/,$(libea-y))
MAIN_OBJS	:= $(addprefix $(OBJ)/,$(egress-audit-y))
UNIT_BINS	:= $(addprefix $(OUT)/tests/,$(unit-y))
BPFTEST_BINS	:= $(addprefix $(OUT)/tests/,$(bpftest-y))
UNIT_HELPERS	:= $(addprefix $(OBJ)/,$(unit-helpers-y))
FUZZ_BINS	:= $(addprefix $(OUT)/fuzz/,$(fuzz-y))
E2E_BINS	:= $(addprefix $(OUT)/tests/e2e/,$(e2e-bins-y))
E2E_EA_BINS	:= $(addprefix $(OUT)/tests/e2e-ea/,$(e2e-ea-bins-y))
BENCH_BINS	:= $(addprefix $(OUT)/bench/,$(bench-y))

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
# Nothing built is removed as an intermediate: a test's object, once its
# dependency file exists, is a target of its own, and a later make that found
# it gone would build it again.
.SECONDARY:
.PHONY: FORCE all run test test-bins deps setup unit bpftest e2e fuzz fuzz-smoke bench bench-bins install clean

all: $(OUT)/egress-audit

# --- set-up of a fresh machine -------------------------------------------
deps:
	$(Q)scripts/setup.sh

# --- kernel programs ------------------------------------------------------
$(VMLINUX_H):
	$(call msg,VMLINUX,$@)
	$(Q)mkdir -p $(@D)
	$(Q)if [ -r $(VMLINUX_BTF) ]; then \
		$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@; \
	else \
		echo "  no $(VMLINUX_BTF): using $(VMLINUX_FALLBACK)"; \
		cp $(VMLINUX_FALLBACK) $@; \
	fi

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX_H) $(wildcard bpf/*.bpf.h) include/egress_audit.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(SKEL)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# --- user space -------------------------------------------------------------
# Installed paths, rewritten only when PREFIX changes (so objects rebuild then).
$(OUT)/gen/paths.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)echo '#define EA_DATADIR "$(DATADIR)"' > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

# The release and the commit built from (user/version.c alone includes it).
$(OUT)/gen/build_id.h: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)c=$$(git rev-parse --short=12 HEAD 2>/dev/null) && \
		{ git diff --quiet HEAD -- 2>/dev/null || c=$$c-dirty; }; \
	printf '#define EA_VERSION "%s"\n#define EA_COMMIT "%s"\n' '$(VERSION)' "$$c" > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

FORCE:

$(OBJ)/%.o: %.c | $(SKELS) $(OUT)/gen/paths.h $(OUT)/gen/build_id.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(EA_CFLAGS) -c $< -o $@

$(OUT)/libea.a: $(LIBEA_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/egress-audit: $(MAIN_OBJS) $(OUT)/libea.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(EA_CFLAGS) $^ $(LIBS) -o $@

# --- tests ------------------------------------------------------------------
$(OUT)/tests/%: $(OBJ)/tests/unit/%.o $(UNIT_HELPERS) $(OUT)/libea.a
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(EA_CFLAGS) $^ $(TEST_LIBS) -o $@

# test_cgroup counts the cache's searches by id
$(OUT)/tests/test_cgroup: TEST_LIBS += -Wl,--wrap=open_by_handle_at

$(OUT)/tests/%: $(OBJ)/tests/bpf/%.o $(OUT)/libea.a
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(EA_CFLAGS) $^ $(TEST_LIBS) -o $@

unit: $(UNIT_BINS)
	$(Q)scripts/run-tests.sh unit $(UNIT_BINS)

bpftest: $(BPFTEST_BINS)
	$(Q)scripts/run-tests.sh bpf $(BPFTEST_BINS)

$(OUT)/tests/e2e/%: tests/e2e/%.c
	$(call msg,E2E,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(EA_CFLAGS) $< -luring -lpthread -o $@

# end-to-end helpers that drive the agent's own code: linked with libea.a
$(OUT)/tests/e2e-ea/%: $(OBJ)/tests/e2e/%.o $(OUT)/libea.a
	$(call msg,E2E,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(EA_CFLAGS) $^ $(LIBS) -o $@

e2e: all $(E2E_BINS) $(E2E_EA_BINS)
	$(Q)scripts/run-tests.sh e2e $(sort $(wildcard tests/e2e/test_*.sh))

# --- benchmarks ------------------------------------------------------------
$(OUT)/bench/%: $(OBJ)/tests/bench/%.o $(OUT)/libea.a
	$(call msg,BENCH,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(EA_CFLAGS) $^ $(LIBS) -o $@

bench-bins: $(BENCH_BINS)

# --- fuzzing (clang libFuzzer) -----------------------------------------------
FUZZ_SRCS := $(patsubst $(OBJ)/%.o,%.c,$(LIBEA_OBJS))
$(OUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_SRCS) | $(SKELS) $(OUT)/gen/paths.h $(OUT)/gen/build_id.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 \
		-D_GNU_SOURCE -Iinclude -Iuser -I$(SKEL) -I$(OUT)/gen \
		$^ $(LIBS) -o $@

FUZZ_TIME ?= 600
fuzz: $(FUZZ_BINS)
	$(Q)for f in $(fuzz-y); do \
		mkdir -p $(OUT)/fuzz/corpus/$$f; \
		$(OUT)/fuzz/$$f -max_total_time=$(FUZZ_TIME) \
			$(OUT)/fuzz/corpus/$$f tests/fuzz/corpus/$${f#fuzz_} || exit 1; \
	done

fuzz-smoke: $(FUZZ_BINS)
	$(Q)scripts/run-tests.sh fuzz $(FUZZ_BINS)

# every program the test suites run
test-bins: $(UNIT_BINS) $(BPFTEST_BINS) $(FUZZ_BINS) $(E2E_BINS) $(E2E_EA_BINS)

# --- the two commands ---------------------------------------------------------
# After the set-up, the build takes every CPU (a second make, so that it
# never runs beside the installation of what it needs).
NPROC := $(shell nproc 2>/dev/null || echo 1)
BUILD = $(MAKE) --no-print-directory -j$(NPROC)

run: deps
	$(Q)$(BUILD) all
	$(OUT)/egress-audit run $(RUN_ARGS)

test: deps
	$(Q)$(BUILD) all test-bins
	$(Q)scripts/test.sh

bench: deps
	$(Q)$(BUILD) all bench-bins
	$(Q)scripts/bench.sh $(if $(QUICK),--quick)

# The service reads egress-audit.conf: installed with the defaults when
# absent, never over an operator's.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)
	install -m 0755 $(OUT)/egress-audit $(DESTDIR)$(BINDIR)/egress-audit
	install -m 0644 data/geo-whois-asn-country.csv.gz data/jurisdictions.csv \
		data/GEOIP-ATTRIBUTION.md $(DESTDIR)$(DATADIR)/
	install -d $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UNITDIR)
	install -m 0644 README.md etc/egress-audit.rules.yml $(DESTDIR)$(DOCDIR)/
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    -e 's|@DOCDIR@|$(DOCDIR)|g' -e 's|@UNITDIR@|$(UNITDIR)|g' \
		etc/egress-audit.service.in > $(DESTDIR)$(UNITDIR)/egress-audit.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/egress-audit.service
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/egress-audit
	install -m 0600 etc/egress-audit.conf.example \
		$(DESTDIR)$(SYSCONFDIR)/egress-audit/egress-audit.conf.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/egress-audit/egress-audit.conf ] || \
		install -m 0600 etc/egress-audit.conf.example \
			$(DESTDIR)$(SYSCONFDIR)/egress-audit/egress-audit.conf

clean:
	rm -rf $(OUT)

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
