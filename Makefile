# vscsi-trace: one non-recursive Makefile.
#
#   make                 the libraries and the tools, in $(B)
#   make check           every test: unit suites, golden tests, the installed
#                        library through pkg-config, sanitizer builds, fuzz
#                        corpora, real-guest tests
#   make demo            the demo (the README's first command)
#   make fuzz            each libFuzzer harness for FUZZ_SECONDS
#   make install         PREFIX=/usr/local DESTDIR=
#
# Missing Debian packages are installed by scripts/deps.sh before anything is
# built (NO_DEPS=1 skips that).

MAJOR := 0
MINOR := 1
PATCH := 0
VERSION := $(MAJOR).$(MINOR).$(PATCH)

# `make` alone builds everything (the first rule below is not "all")
.DEFAULT_GOAL := all

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=
# Where Wireshark looks for Lua plugins (tshark says; else under PREFIX, where
# Wireshark does not look: install prints a note then) and bash completions.
WIRESHARK_LUA_DIR ?= $(shell tshark -G folders 2>/dev/null | \
	sed -n 's/^Global Lua Plugins:[[:space:]]*//p')
ifeq ($(WIRESHARK_LUA_DIR),)
WIRESHARK_LUA_DIR = $(PREFIX)/lib/wireshark/plugins
endif
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

CFLAGS ?= -O2 -g
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 10
B ?= build

# ---------------------------------------------------------------- packages
ifeq ($(filter clean distclean deps,$(MAKECMDGOALS))$(NO_DEPS),)
DEPS_SET := $(if $(filter check check-% fuzz e2e demo%,$(MAKECMDGOALS)),all,build)
DEPS_FAIL := $(shell sh scripts/deps.sh $(DEPS_SET) >&2 || echo failed)
ifeq ($(DEPS_FAIL),failed)
$(error scripts/deps.sh could not install the packages named above)
endif
endif

PKG_LIB := libpcap libzstd libxxhash liburing
pc = $(shell pkg-config $(1) $(2))
LIB_CFLAGS := $(call pc,--cflags,$(PKG_LIB))
LIB_LIBS := $(call pc,--libs,$(PKG_LIB))
CHECK_CFLAGS := $(call pc,--cflags,check)
CHECK_LIBS := $(call pc,--libs,check)
CURSES_CFLAGS := $(call pc,--cflags,ncursesw)
CURSES_LIBS := $(call pc,--libs,ncursesw)

WARN := -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla
ifneq ($(filter true 1,$(CI) $(WERROR)),)
WARN += -Werror
endif
ifneq ($(SAN),)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
endif

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -Ilibvscsi-decode/include \
	-Itools/common $(LIB_CFLAGS) $(SAN_FLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)

# ---------------------------------------------------------------- library
LIB_SRC := $(sort $(wildcard libvscsi-decode/src/*.c))
LIB_HDR := libvscsi-decode/include/vscsi.h \
	$(sort $(wildcard libvscsi-decode/include/vscsi/*.h))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
SONAME := libvscsi-decode.so.$(MAJOR)
LIB_SO := $(B)/lib/libvscsi-decode.so.$(VERSION)
LIB_A := $(B)/lib/libvscsi-decode.a
LIB_PC := $(B)/lib/libvscsi-decode.pc

$(B)/obj/libvscsi-decode/%.o: libvscsi-decode/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -DVSCSI_BUILDING_LIBRARY \
		-c -o $@ $<

$(LIB_SO): $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined $(ALL_LDFLAGS) \
		-o $@ $(LIB_OBJ) $(LIB_LIBS)
	ln -sf libvscsi-decode.so.$(VERSION) $(B)/lib/$(SONAME)
	ln -sf $(SONAME) $(B)/lib/libvscsi-decode.so

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

# The .pc file names PREFIX, so install writes it again for its own PREFIX.
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		-e 's|@REQUIRES@|$(PKG_LIB)|'

$(LIB_PC): libvscsi-decode/libvscsi-decode.pc.in Makefile
	@mkdir -p $(@D)
	$(PC_SED) $< > $@

# ---------------------------------------------------------------- tools
COMMON_SRC := $(sort $(wildcard tools/common/*.c))
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/obj/%.o)
COMMON_A := $(B)/lib/libvscsi-common.a
# A tool is a folder of tools/ with C sources (tools/wireshark holds Lua).
TOOLS := $(sort $(filter-out common,$(notdir $(patsubst %/,%,$(dir $(wildcard tools/*/*.c))))))
TOOL_BINS := $(TOOLS:%=$(B)/bin/%)

$(B)/obj/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CURSES_CFLAGS) -c -o $@ $<

$(COMMON_A): $(COMMON_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(COMMON_OBJ)

define tool_rule
$(1)_OBJ := $$(patsubst %.c,$$(B)/obj/%.o,$$(sort $$(wildcard tools/$(1)/*.c)))
$$(B)/bin/$(1): $$($(1)_OBJ) $$(COMMON_A) $$(LIB_A)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$($(1)_OBJ) $$(COMMON_A) $$(LIB_A) \
		$$(LIB_LIBS) $$(if $$(filter vscsi-top,$(1)),$$(CURSES_LIBS)) -lpthread -lm
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

# ---------------------------------------------------------------- tests
UNIT_SRC := $(sort $(wildcard tests/unit/check_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

$(B)/obj/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests/unit -c -o $@ $<

$(B)/tests/check_%: $(B)/obj/tests/unit/check_%.o $(COMMON_A) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(COMMON_A) $(LIB_A) $(LIB_LIBS) \
		$(CHECK_LIBS) -lpthread -lm

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE -DVSCSI_FUZZING \
	-Ilibvscsi-decode/include -Itools/common
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(B)/fuzzobj/%.o)
FUZZ_COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/fuzzobj/%.o)

$(B)/fuzzobj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(LIB_CFLAGS) -MMD -MP -c -o $@ $<

FUZZ_EMU_OBJ := $(filter $(B)/fuzzobj/tools/common/emu%,$(FUZZ_COMMON_OBJ))

# The emulation's harness links the tool code it exercises.
$(B)/fuzz/fuzz_emu: $(B)/fuzzobj/tests/fuzz/fuzz_emu.o $(FUZZ_LIB_OBJ) $(FUZZ_EMU_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIB_LIBS) -lpthread -lm

FUZZ_VU_OBJ := $(filter $(B)/fuzzobj/tools/common/vu%,$(FUZZ_COMMON_OBJ))

# The vhost-user back-end core's harness links the transport.
$(B)/fuzz/fuzz_vu_dev: $(B)/fuzzobj/tests/fuzz/fuzz_vu_dev.o $(FUZZ_LIB_OBJ) $(FUZZ_VU_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIB_LIBS) -lpthread -lm

# The serve device's harness compiles sdev.c in and links the emulation
# and the transport.
$(B)/fuzz/fuzz_serve: $(B)/fuzzobj/tests/fuzz/fuzz_serve.o $(FUZZ_LIB_OBJ) $(FUZZ_EMU_OBJ) $(FUZZ_VU_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIB_LIBS) -lpthread -lm

FUZZ_PROXY_OBJ := $(filter $(B)/fuzzobj/tools/common/proxy.o \
	$(B)/fuzzobj/tools/common/proxy_ring.o \
	$(B)/fuzzobj/tools/common/proxy_rec.o \
	$(B)/fuzzobj/tools/common/proxy_q.o $(B)/fuzzobj/tools/common/vu.o \
	$(B)/fuzzobj/tools/common/vu_loop.o,$(FUZZ_COMMON_OBJ))

# The capture proxy's harness links the proxy and the transport.
$(B)/fuzz/fuzz_proxy: $(B)/fuzzobj/tests/fuzz/fuzz_proxy.o $(FUZZ_LIB_OBJ) $(FUZZ_PROXY_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIB_LIBS) -lpthread -lm

$(B)/fuzz/fuzz_%: $(B)/fuzzobj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIB_LIBS) -lpthread -lm

BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

$(B)/obj/bench/%.o: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/bench/%: $(B)/obj/bench/%.o $(COMMON_A) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(COMMON_A) $(LIB_A) $(LIB_LIBS) -lpthread -lm

# ---------------------------------------------------------------- targets
.PHONY: all lib tools tests deps check check-unit check-asan check-golden \
	check-pkgconfig check-fuzz-corpus check-e2e check-man check-top fuzz demo install clean \
	bench bench-bin

all: lib tools
lib: $(LIB_SO) $(LIB_A) $(LIB_PC)
tools: $(TOOL_BINS)
tests: $(UNIT_BIN)

deps:
	sh scripts/deps.sh all

check: all
	@sh tests/run-check.sh "$(B)" "$(MAKE)"

# The pieces check runs; each can be run alone.
check-unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

check-asan:
	$(MAKE) --no-print-directory B=$(B)/asan SAN=1 CFLAGS="-O1 -g" check-unit

check-golden: all
	@sh tests/golden/run.sh $(B)

check-pkgconfig: all
	@sh tests/pkgconfig/run.sh $(B) "$(MAKE)"

check-fuzz-corpus: $(FUZZ_BIN)
	@sh tests/fuzz/run.sh corpus $(B)

# Manual pages must be clean mdoc (warnings and worse; style hints aside).
check-man:
	@out=$$(mandoc -T lint -W warning man/man*/*.[1-9] 2>&1); \
	if [ -n "$$out" ]; then echo "$$out"; echo "man: 0 passed, 1 failed"; exit 1; fi; \
	echo "man: $$(ls man/man*/*.[1-9] | wc -l) pages clean"

check-top: all $(B)/bench/top_feed
	@sh tests/top/run.sh $(B)

check-e2e: all
	@if [ -x tests/e2e/run.sh ]; then sh tests/e2e/run.sh $(B); \
	else echo "e2e: no real-guest tests yet"; fi

fuzz: $(FUZZ_BIN)
	@sh tests/fuzz/run.sh fuzz $(B) $(FUZZ_SECONDS)

bench-bin: $(BENCH_BIN)

# Benchmarks print ratios against a peer measured in the same run; they are
# not part of check (timed results do not belong in tests).
bench: all $(BENCH_BIN)
	@for s in bench/*.sh; do [ -f "$$s" ] && sh "$$s" $(B); done; true

demo: all
	@sh scripts/demo.sh $(B)

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/vscsi $(DESTDIR)$(BINDIR)
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libvscsi-decode.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libvscsi-decode.so
	$(PC_SED) libvscsi-decode/libvscsi-decode.pc.in > \
		$(DESTDIR)$(PKGCONFIGDIR)/libvscsi-decode.pc
	install -m 644 libvscsi-decode/include/vscsi.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(filter-out libvscsi-decode/include/vscsi.h,$(LIB_HDR)) \
		$(DESTDIR)$(INCLUDEDIR)/vscsi/
	$(if $(TOOL_BINS),install -m 755 $(TOOL_BINS) $(DESTDIR)$(BINDIR)/)
	install -d $(DESTDIR)$(WIRESHARK_LUA_DIR) $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 tools/wireshark/vscsi.lua $(DESTDIR)$(WIRESHARK_LUA_DIR)/
	install -m 644 completion/* $(DESTDIR)$(BASHCOMPDIR)/
	for s in 1 3 5 7; do \
		for m in man/man$$s/*.$$s; do \
			[ -f "$$m" ] || continue; \
			install -d $(DESTDIR)$(MANDIR)/man$$s; \
			install -m 644 "$$m" $(DESTDIR)$(MANDIR)/man$$s/; \
		done; \
	done

clean:
	rm -rf $(B)

.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
