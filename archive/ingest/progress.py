"""Progress on stderr (files, pages, pages/s, ETA), shown only when stderr is a terminal."""

from __future__ import annotations

import sys

from tqdm import tqdm


class Progress:
    """A page-counting progress bar whose total grows as documents are opened."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.bar: tqdm | None = None
        self.files = self.files_done = self.ocr = 0
        self.workers: int | None = None  # page workers reading, when a queue is used

    def start(self, files: int) -> None:
        """Begin, knowing how many files are to be read."""
        self.files = files
        if self.enabled and files:
            self.bar = tqdm(total=0, unit="page", file=sys.stderr, dynamic_ncols=True,
                            desc=self._desc(), smoothing=0.1)

    def _desc(self) -> str:
        return f"files {self.files_done}/{self.files}"

    def add_files(self, files: int) -> None:
        """More files to read were found (an email's attachments, an mbox's messages)."""
        self.files += files
        if self.bar is not None:
            self.bar.set_description(self._desc(), refresh=False)

    def add_pages(self, pages: int, already: int = 0) -> None:
        """A document was opened: its pages join the total (those stored earlier count done)."""
        if self.bar is not None:
            self.bar.total += pages
            self.bar.update(already)

    def page_done(self, ocr: bool) -> None:
        """One page was read."""
        self.ocr += ocr
        if self.bar is not None:
            self.bar.update(1)

    def file_done(self) -> None:
        """One file is finished (added or failed)."""
        self.files_done += 1
        if self.bar is not None:
            self.bar.set_description(self._desc(), refresh=False)

    def set_workers(self, workers: int) -> None:
        """How many page workers are reading now (shown beside the rate)."""
        self.workers = workers

    def notice(self, message: str) -> None:
        """Say something on stderr now, bar or not (no worker connected, a worker refuses)."""
        tqdm.write(f"archive: {message}", file=sys.stderr)

    def refresh(self) -> None:
        """Redraw (rate and ETA move even while no page finishes)."""
        if self.bar is not None:
            extra = {} if self.workers is None else {"workers": self.workers}
            self.bar.set_postfix(ocr=self.ocr, **extra, refresh=False)
            self.bar.refresh()

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
