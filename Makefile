# Two entry points: `make run` opens the app, `make test` runs the whole suite.
# Both set up .venv and the data first; each step is skipped when already done.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
XCB_STAMP := $(VENV)/.xcb-checked
MULTIMEDIA_STAMP := $(VENV)/.multimedia-checked

.PHONY: run test setup data postgres xcb multimedia screenshot benchmark install-desktop uninstall-desktop bundle clean

run: setup data xcb multimedia
	$(VENV)/bin/fmnist-gui

# The suite runs against the built wheel installed in a throwaway environment, as users install the
# app (packaging/check_wheel.py builds it, checks that every module imports from it, trains with it).
# PYTEST_ARGS passes options on: make test PYTEST_ARGS="-k follow".
test: setup data postgres multimedia
	QT_QPA_PLATFORM=offscreen $(PY) packaging/check_wheel.py --tests -- -q $(PYTEST_ARGS)
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The optional extras too (ONNX export, TensorBoard files, t-SNE, the camera), so that their tests run rather than skip.
	$(PY) -m pip install -q -e '.[test,onnx,tensorboard,tsne,camera,postgres]'
	touch $(STAMP)

# Finds Fashion-MNIST where the app looks for it; installs Debian's package when it is missing.
data: setup
	@sh packaging/ensure-data.sh $(PY)

# PostgreSQL's server programs, for the sweep test against a real database; installs Debian's package when missing.
postgres:
	@sh packaging/ensure-postgres.sh

# The xcb platform plugin needs a few X libraries that a minimal Debian lacks.
xcb: $(XCB_STAMP)

$(XCB_STAMP): $(STAMP)
	@sh packaging/ensure-xcb.sh $(PY)
	@touch $(XCB_STAMP)

# Qt Multimedia (the presenter's camera) needs a few system libraries a minimal Debian lacks.
multimedia: $(MULTIMEDIA_STAMP)

$(MULTIMEDIA_STAMP): $(STAMP)
	@sh packaging/ensure-multimedia.sh $(PY)
	@touch $(MULTIMEDIA_STAMP)

# Refreshes docs/screenshot*.png from a real run on the real data, on a virtual screen.
screenshot: setup data
	$(PY) packaging/screenshot.py --out docs

benchmark: setup data
	$(PY) packaging/benchmark.py

# The launcher (with .venv's absolute path), the icon and the checkpoint file type, for this user.
install-desktop: setup
	$(PY) -c 'from fmnist_gui.desktop import install_desktop; print(*install_desktop(), sep="\n")'

uninstall-desktop:
	$(PY) -c 'from fmnist_gui.desktop import uninstall_desktop; print(*uninstall_desktop(), sep="\n")'

# A standalone one-folder app in dist/fmnist-gui (about 5 GB with CUDA torch; see README).
# Check it with: sh packaging/smoke-bundle.sh
bundle: setup
	$(PY) -m pip install -q pyinstaller
	$(PY) -m PyInstaller --noconfirm --distpath dist --workpath build/pyinstaller packaging/fmnist-gui.spec
	@du -sh dist/fmnist-gui

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
