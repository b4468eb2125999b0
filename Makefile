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

.PHONY: book test book-quick book-student student grade install clean pdf release axe

# make test: torch's OpenMP threads spin while they wait for work, and on a shared
# machine (CI) they spin against other processes for the same cores: at load 10 on
# 2 cores a PyTorch training step ran 5-10x slower than with passive waiting, which
# costs about 12% on a quiet machine. Only the tests wait passively: the book and
# benchmarks/ keep torch's defaults, whose speed the chapters report.
test: export OMP_WAIT_POLICY ?= PASSIVE

book: $(STAMP)  ## the published book: full MNIST, every epoch
	LENET_QUICK=0 LENET_ALLOW_SAMPLE=0 $(JB) build . --keep-going
	@$(PY) scripts/check_book.py _build/html --mode full
	@echo "The book: $(CURDIR)/_build/html/index.html"

# make test runs each notebook once: nbval executes the chapters (book/), the student
# edition's build executes student/, and the strict build of the chapters' pages
# (-W -n) does not execute them again (scripts/quick_config.py turns execution off).
# It runs in two lanes, because one lane alone leaves a core idle much of the time.
# Only one lane starts Jupyter kernels: kernels launched by two processes at once can
# pick the same free TCP ports (a known jupyter_client race), and a trial that ran
# two such lanes hung. After the strict build:
#   main lane: the executed student build, then the chapters under nbval and the
#              tests that start kernels (-m kernels);
#   side lane: the tests that start no kernel and read no page, then, once the student
#              build is done, the tests that read the built pages (-m pages).
# The side lane writes to $(LANE_LOG), printed when both lanes are done; Ctrl-C stops both.
LANE_LOG  := _build/test-side-lane.log
LANE_FLAG := _build/test-student-built
PYTEST    := LENET_QUICK=1 $(PY) -m pytest
test: $(STAMP) $(AXE)  ## what CI runs
	@status=0; mkdir -p _build; rm -f $(LANE_FLAG); \
	$(PY) scripts/quick_config.py _config.yml _build/quick/_config.yml && \
	LENET_QUICK=1 $(JB) build . --config _build/quick/_config.yml --path-output _build/quick -W -n --keep-going || status=1; \
	echo "make test: the side lane's tests run beside this lane; their output follows at the end"; \
	( side=0; \
	  $(PYTEST) -p no:cacheprovider tests -m "not kernels and not pages" || side=1; \
	  while [ ! -f $(LANE_FLAG) ] && kill -0 $$$$ 2>/dev/null; do sleep 1; done; \
	  $(PYTEST) -p no:cacheprovider tests -m pages || side=1; \
	  exit $$side ) > $(LANE_LOG) 2>&1 & side=$$!; \
	trap 'pkill -P $$side; kill $$side 2>/dev/null; exit 130' INT TERM; \
	$(PY) scripts/student_config.py _config.yml _build/student-quick/_config.yml && \
	LENET_QUICK=1 $(JB) build . --config _build/student-quick/_config.yml --toc student/_toc.yml --path-output _build/student-quick -W -n --keep-going && \
	$(PY) scripts/check_book.py _build/student-quick/_build/html --mode quick --no-solutions --toc student/_toc.yml || status=1; \
	touch $(LANE_FLAG); \
	$(PYTEST) tests book -m kernels --nbval-lax --nbval-cell-timeout=900 || status=1; \
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
	$(PY) scripts/student_config.py _config.yml _build/student/_config.yml
	LENET_QUICK=0 LENET_ALLOW_SAMPLE=0 $(JB) build . --config _build/student/_config.yml --toc student/_toc.yml --path-output _build/student --keep-going
	@$(PY) scripts/check_book.py _build/student/_build/html --mode full --no-solutions --toc student/_toc.yml
	@echo "Student edition: $(CURDIR)/_build/student/_build/html/index.html"

# make pdf: each edition as one PDF, printed page by page by headless Chromium (the
# browser test's), into the site's folder, where the footer's link finds it once
# published. Not part of make book: a minute or more per edition (README, The PDF).
pdf: $(STAMP)  ## both editions as PDFs, after make book and make book-student
	$(PY) scripts/make_pdf.py _build/html --toc _toc.yml
	$(PY) scripts/make_pdf.py _build/student/_build/html --toc student/_toc.yml

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
