# The two commands of the README: `make run` and `make test`. Both create or update
# the virtual environment and install the Debian packages they need when missing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin

# What the desktop app needs from the system: Qt's xcb/offscreen platform libraries,
# libpulse for QtMultimedia, a Secret Service for keyring, and the venv module; and
# Kamailio, the demo's phone system.
RUN_DEBS := libpulse0 libpulse-mainloop-glib0 libegl1 libgl1 libfontconfig1 libxkbcommon0 \
	libxkbcommon-x11-0 libdbus-1-3 libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 \
	libxcb-shape0 libxcb-image0 libxcb-render-util0 libxcb-xinerama0 \
	gnome-keyring dbus dbus-x11 ca-certificates kamailio
# What `make package` adds: objdump for PyInstaller's library scan (dpkg-deb, unshare and
# mount, which the package tests use, come with every Debian system).
PACKAGE_DEBS := binutils
# What the tests add: real SIP peers, a real audio server, a virtual screen, PostgreSQL.
TEST_DEBS := $(RUN_DEBS) sip-tester kamailio kamailio-tls-modules pulseaudio xvfb postgresql iproute2 procps openssl \
	pulseaudio-utils $(PACKAGE_DEBS)

.PHONY: run test lint typecheck unit bench screenshots translations qm deps-run deps-test venv clean \
	package test-package deps-package

$(VENV)/.installed: pyproject.toml setup.py
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || tools/ensure-debian-packages python3-venv
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[server,dev,package]'
	@touch $@

venv: $(VENV)/.installed

deps-run:
	@tools/ensure-debian-packages $(RUN_DEBS)

deps-test:
	@tools/ensure-debian-packages $(TEST_DEBS)

deps-package:
	@tools/ensure-debian-packages $(PACKAGE_DEBS)

run: deps-run venv
	tools/run-demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=tools/lint $(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy

unit: venv
	$(BIN)/python -m pytest tests/unit

test: deps-test venv lint typecheck
	$(BIN)/python -m pytest

screenshots: deps-test venv
	tools/screenshots

bench: venv
	$(BIN)/python -m benchmarks

# Re-extract the texts of the forms and the views into translations/pulse_*.ts (new texts
# come in unfinished: translate them with pyside6-linguist or an editor). The .qm catalogues
# are built from the .ts by `make qm` and by the wheel's build (docs/decisions/0026).
translations: venv
	QT_QPA_PLATFORM=offscreen $(BIN)/python translations/tables.py

qm: venv
	$(BIN)/python -m agent_app.foundation.qm build/translations translations/pulse_*.ts

# The self-contained bundle dist/pulse-agent/ and the Debian package dist/pulse-agent_*.deb
# (packaging/README.md). `make test` runs their tests (tests/integration/packaging/);
# `make test-package` runs only those.
package: deps-package venv qm
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN --distpath dist \
		--workpath build/pyinstaller packaging/bundle/pulse.spec
	$(BIN)/python packaging/deb/build_deb.py dist/pulse-agent --out dist

test-package: deps-test venv
	$(BIN)/python -m pytest tests/integration/packaging

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache build dist
