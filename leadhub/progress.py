"""Progress of a long management command, on the stream it writes to: a redrawn bar on a
terminal, plain periodic lines when the output is piped or logged (a bar's carriage returns
would fill a log file with one endless line)."""
import time

BAR_WIDTH = 30
LINE_EVERY_SECONDS = 10


class Progress:
    """`update(done)` after each unit of work, `finish()` at the end. `total` may be None when
    it is not known up front (then the bar shows counts only)."""

    def __init__(self, stream, *, total, unit, every=LINE_EVERY_SECONDS, clock=time.monotonic):
        self.stream, self.total, self.unit, self.every, self.clock = stream, total, unit, every, clock
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.done = 0
        self.last_line_at = clock()
        self.last_percent = -1

    def _text(self):
        if self.total:
            percent = self.done * 100 // self.total
            return f"{percent:3d}% {self.done}/{self.total} {self.unit}"
        return f"{self.done} {self.unit}"

    def update(self, done):
        self.done = done
        if self.tty:
            percent = done * 100 // self.total if self.total else done
            if percent == self.last_percent:
                return  # redraw once per percent
            self.last_percent = percent
            bar = ""
            if self.total:
                filled = BAR_WIDTH * done // self.total
                bar = "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "] "
            self.stream.write(f"\r{bar}{self._text()}", style_func=str, ending="")
            self.stream.flush()
        elif (now := self.clock()) - self.last_line_at >= self.every:
            self.last_line_at = now
            self.stream.write(f"progress: {self._text()}", style_func=str)

    def finish(self):
        if self.tty:
            self.stream.write("", style_func=str)  # end the bar's line
        else:
            self.stream.write(f"progress: {self._text()} (done)", style_func=str)
