package org.lte4j.cli;

import java.util.Set;

/** One `lte4j NAME ...` command. */
interface Subcommand {
    String name();

    /** One line for `lte4j help`. */
    String summary();

    /** The options, as printed on a usage error. */
    String usage();

    /** Options that take no value. */
    default Set<String> flags() {
        return Set.of();
    }

    /** Returns the exit status. */
    int run(Args args, Console console) throws Exception;
}
