# The LeNet-5 book: two commands.
#   make book   build the whole book to HTML, executing every chapter (full mode)
#   make test   run every test (unit tests, chapters under nbval, strict quick-mode builds)
# Both create .venv and install the pinned versions of requirements.txt first.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
JB     := $(VENV)/bin/jupyter-book
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
AXE    := node_modules/axe-core/axe.min.js

.PHONY: book test test-pdf test-site book-quick book-student student grade install clean pdf release axe

# make test: torch's threads wait passively on a shared machine (docs/decisions.md).
test: export OMP_WAIT_POLICY ?= PASSIVE

book: $(STAMP)  ## the published book: full MNIST, every epoch
	LENET_QUICK=0 LENET_ALLOW_SAMPLE=0 $(JB) build . --keep-going
	@$(PY) scripts/check_book.py _build/html --mode full
	@echo "The book: $(CURDIR)/_build/html/index.html"

# make test: ruff first (cheap), then the strict build of the pages (no execution), then
# two lanes side by side (docs/decisions.md says why): the main lane builds the student
# edition (executed), then runs the chapters under nbval and the tests that start kernels
# (-m kernels), then the browser test of the book's own pages; the side lane runs the
# other tests, then, once the student build is done, the other tests that read the built
# pages (-m pages: the student edition's browser test among them), and writes to
# $(LANE_LOG). The browser test is split by edition so that both lanes share it: with
# axe-core on every page it is the longest part of make test.
LANE_LOG  := _build/test-side-lane.log
LANE_FLAG := _build/test-student-built
PYTEST    := LENET_QUICK=1 $(PY) -m pytest
test: $(STAMP) $(AXE)  ## what CI runs
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	@status=0; mkdir -p _build; rm -f $(LANE_FLAG); \
	$(PY) scripts/site_config.py quick _config.yml _build/quick/_config.yml && \
	LENET_QUICK=1 $(JB) build . --config _build/quick/_config.yml --path-output _build/quick -W -n --keep-going || status=1; \
	echo "make test: the side lane's tests run beside this lane; their output follows at the end"; \
	( side=0; \
	  $(PYTEST) -p no:cacheprovider tests -m "not kernels and not pages" || side=1; \
	  while [ ! -f $(LANE_FLAG) ] && kill -0 $$$$ 2>/dev/null; do sleep 1; done; \
	  $(PYTEST) -p no:cacheprovider tests -m "pages and not pdf" -k "student or not test_browser" || side=1; \
	  exit $$side ) > $(LANE_LOG) 2>&1 & side=$$!; \
	trap 'pkill -P $$side; kill $$side 2>/dev/null; exit 130' INT TERM; \
	$(PY) scripts/site_config.py student _config.yml _build/student-quick/_config.yml && \
	LENET_QUICK=1 $(JB) build . --config _build/student-quick/_config.yml --toc student/_toc.yml --path-output _build/student-quick -W -n --keep-going && \
	$(PY) scripts/check_book.py _build/student-quick/_build/html --mode quick --no-solutions --toc student/_toc.yml || status=1; \
	touch $(LANE_FLAG); \
	$(PYTEST) tests book -m kernels --nbval-lax --nbval-cell-timeout=900 || status=1; \
	$(PYTEST) -p no:cacheprovider tests/browser/test_browser.py -m "pages and not pdf" -k "not student" || status=1; \
	wait $$side || status=1; \
	echo "make test: the side lane's output"; cat $(LANE_LOG); \
	exit $$status

book-quick: $(STAMP)  ## a quick-mode book, for checking layout; never publish it
	LENET_QUICK=1 $(JB) build . --path-output _build/quick --keep-going
	@echo "Quick-mode book (not for publishing): $(CURDIR)/_build/quick/_build/html/index.html"

student: $(STAMP)  ## write the student notebooks (student/) from the chapters: run after changing book/
	$(PY) scripts/make_student.py

book-student: $(STAMP)  ## the student edition: the full book built from student/, without the solutions
	$(PY) scripts/make_student.py --check
	$(PY) scripts/site_config.py student _config.yml _build/student/_config.yml
	LENET_QUICK=0 LENET_ALLOW_SAMPLE=0 $(JB) build . --config _build/student/_config.yml --toc student/_toc.yml --path-output _build/student --keep-going
	@$(PY) scripts/check_book.py _build/student/_build/html --mode full --no-solutions --toc student/_toc.yml
	@echo "Student edition: $(CURDIR)/_build/student/_build/html/index.html"

# make pdf: each edition as one PDF, printed page by page by headless Chromium (the
# browser test's), into the site's folder, where the footer's link finds it once
# published. Not part of make book: a minute or more per edition (README, The PDF).
pdf: $(STAMP)  ## both editions as PDFs, after make book and make book-student
	$(PY) scripts/make_pdf.py _build/html --toc _toc.yml
	$(PY) scripts/make_pdf.py _build/student/_build/html --toc student/_toc.yml

# make test-pdf: prints the quick builds that make test leaves (both editions) and checks
# that each PDF holds every chapter, typeset maths and figures (tests/book/test_pdf.py).
# Minutes per edition, so not part of make test; the Pages workflow runs make pdf itself.
test-pdf: $(STAMP)  ## after make test: check the PDFs of both quick editions
	LENET_QUICK=1 $(PY) -m pytest -p no:cacheprovider tests -m pdf

# make test-site: the browser test of make test (layout at two widths, alt texts, axe-core,
# links, launch buttons, keyboard, search) on the published builds instead of the quick
# ones: full-mode outputs, every figure. Minutes per edition; the Pages workflow runs it
# before it publishes.
test-site: $(STAMP) $(AXE)  ## after make book and make book-student: the browser test on both published editions
	LENET_SITE_BOOK=_build/html LENET_SITE_STUDENT=_build/student/_build/html \
	  $(PY) -m pytest -p no:cacheprovider tests/browser/test_browser.py -m "pages and not pdf"

release: book book-student  ## the offline classroom bundle in dist/ (README: Releasing)
	@$(MAKE) --no-print-directory pdf
	$(PY) scripts/release.py

SUBMISSIONS ?=
GRADES ?= grades
LIMIT ?= 600
GRADE_ARGS ?=
grade: $(STAMP)  ## run and grade students' notebooks: make grade SUBMISSIONS=folder [GRADES=grades] [LIMIT=600] [GRADE_ARGS="--roster roster.csv"]
	@test -n "$(SUBMISSIONS)" || { echo "make grade: name the folder of notebooks: make grade SUBMISSIONS=folder" >&2; exit 2; }
	$(PY) scripts/grade.py "$(SUBMISSIONS)" --out "$(GRADES)" --limit $(LIMIT) $(GRADE_ARGS)

install: $(STAMP)

# axe-core, the accessibility checker the browser test runs on every page: the
# version pinned in package-lock.json, whose checksum npm ci verifies, installed
# into node_modules/ (git-ignored). Without npm the browser test cannot run it
# (and fails where LENET_REQUIRE_BROWSER=1, as on CI).
axe: $(AXE)  ## install axe-core for the browser test (npm ci)
$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "make: npm is missing: the browser test cannot run axe-core (apt-get install npm)" >&2; fi

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) scripts/check_python.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt -e .
	@rm -f $(VENV)/.installed-* && touch $@

clean:
	rm -rf _build
