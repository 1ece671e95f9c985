# yingji — build, run, test, bench.
#
#   make run    install what is missing, build, create var/yingji.db with demo data, serve
#   make test   install what is missing, build (ASan+UBSan), run every test
#   make bench  benchmarks with side-by-side peers
#   make boundaries  remake data/geo/shanwei_boundaries_wgs84.geojson from its sources (then commit it)
#
# Two builds share the sources: build/rel (optimised, what `make run` serves)
# and build/san (address + undefined-behaviour sanitizers, what tests use).

PKGS     := libmicrohttpd jansson sqlite3 geos libsodium xlsxwriter libzip libmosquitto libxml-2.0 libcurl cairo pangocairo
CC       ?= cc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wstrict-prototypes -Wformat=2 -Wno-format-truncation
BASEFLAGS:= -std=c11 -D_GNU_SOURCE -Isrc $(WARN) $(PKG_CFLAGS) -DYJ_DATA_DIR='"$(CURDIR)/data"' -MMD -MP
REL_CFLAGS := $(BASEFLAGS) -O2 -g
SAN_CFLAGS := $(BASEFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -DYJ_TEST_BUILD
LIBS     := $(PKG_LIBS) -lpthread -lm
SAN_LDFLAGS := -fsanitize=address,undefined

SRCS     := $(shell find src -name '*.c' | sort)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
REL_OBJS := $(SRCS:%.c=build/rel/%.o)
REL_LIB_OBJS := $(LIB_SRCS:%.c=build/rel/%.o)
SAN_OBJS := $(SRCS:%.c=build/san/%.o)
SAN_LIB_OBJS := $(LIB_SRCS:%.c=build/san/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/san/tests/%)
DATA_FILES := $(shell find data -type f 2>/dev/null)

DB       ?= var/yingji.db
LISTEN   ?= 127.0.0.1:8080

.PHONY: all deps build run test unit bench clean web boundaries

all: build

deps:
	@scripts/install-deps.sh run

build: build/rel/yingji web

web:
	@scripts/build-web.sh

build/rel/yingji: $(REL_OBJS)
	$(CC) -o $@ $^ $(LIBS)

build/san/yingji: $(SAN_OBJS)
	$(CC) $(SAN_LDFLAGS) -o $@ $^ $(LIBS)

build/rel/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -c -o $@ $<

build/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -c -o $@ $<

# the embedded data changes the object that .incbin's it
build/rel/src/geo/geo_data.o build/san/src/geo/geo_data.o: $(DATA_FILES)
build/rel/src/warning/cap.o build/san/src/warning/cap.o: $(wildcard data/cap/*.xsd data/cap/*.csv)
build/rel/src/base/workdays.o build/san/src/base/workdays.o: data/holidays_cn.csv
build/rel/src/base/msg_zh.o build/san/src/base/msg_zh.o: data/i18n/errors.zh.tsv

build/san/tests/%: tests/unit/%.c $(SAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -o $@ $< $(SAN_LIB_OBJS) $(SAN_LDFLAGS) $(LIBS) -lcmocka

# The boundaries yingji serves, repaired once from the sources under data/ (src/geo/geo_boundaries.c):
# run after changing a boundary source or the repair, and commit the file (test_geo checks it).
boundaries: build/rel/tools/geo_boundaries
	build/rel/tools/geo_boundaries data/geo/shanwei_boundaries_wgs84.geojson

build/rel/tools/%: tools/%.c $(REL_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -o $@ $< $(REL_LIB_OBJS) $(LIBS)

run: deps build
	@mkdir -p var
	@if [ ! -f $(DB) ]; then build/rel/yingji demo --db $(DB) --password-file var/demo-password; fi
	@echo "yingji: open http://$(LISTEN)/  — demo users: admin, commander, duty_officer, ... password in var/demo-password: $$(cat var/demo-password 2>/dev/null)"
	build/rel/yingji serve --db $(DB) --listen $(LISTEN) --web web

unit: build/san/yingji $(UNIT_BINS)

test:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory build/san/yingji build/rel/yingji $(UNIT_BINS) web
	@tests/run.sh

bench:
	@scripts/install-deps.sh bench
	@$(MAKE) --no-print-directory build
	@bench/run.sh

clean:
	rm -rf build

-include $(REL_OBJS:.o=.d) $(SAN_OBJS:.o=.d)
