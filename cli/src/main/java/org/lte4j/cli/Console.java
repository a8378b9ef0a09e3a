package org.lte4j.cli;

import java.io.PrintStream;

/** Where a command writes: results to {@code out}, progress and summaries to {@code err}. */
record Console(PrintStream out, PrintStream err) {
    void println(String s) {
        out.println(s);
    }

    void status(String s) {
        err.println(s);
    }
}
