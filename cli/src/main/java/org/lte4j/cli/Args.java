package org.lte4j.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Command-line options of one subcommand: {@code --name value}, {@code --flag}, and positional
 * words. Every option must be asked for; {@link #rejectUnknown()} then names any left over.
 */
final class Args {
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> flags = new HashSet<>();
    private final List<String> positional = new ArrayList<>();
    private final Set<String> asked = new HashSet<>();

    Args(List<String> words, Set<String> flagNames) {
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (w.startsWith("--")) {
                String name = w.substring(2);
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    values.put(name.substring(0, eq), name.substring(eq + 1));
                } else if (flagNames.contains(name)) {
                    flags.add(name);
                } else if (i + 1 < words.size()) {
                    values.put(name, words.get(++i));
                } else {
                    throw new UsageException("option --" + name + " needs a value");
                }
            } else {
                positional.add(w);
            }
        }
    }

    Optional<String> get(String name) {
        asked.add(name);
        return Optional.ofNullable(values.get(name));
    }

    String get(String name, String fallback) {
        return get(name).orElse(fallback);
    }

    String require(String name) {
        return get(name).orElseThrow(() -> new UsageException("missing --" + name));
    }

    int getInt(String name, int fallback) {
        return get(name).map(v -> parse(name, v, Integer::parseInt)).orElse(fallback);
    }

    long getLong(String name, long fallback) {
        return get(name).map(v -> parse(name, v, Long::parseLong)).orElse(fallback);
    }

    double getDouble(String name, double fallback) {
        return get(name).map(v -> parse(name, v, Double::parseDouble)).orElse(fallback);
    }

    boolean flag(String name) {
        asked.add(name);
        return flags.contains(name);
    }

    List<String> positional() {
        return positional;
    }

    void rejectUnknown() {
        for (String k : values.keySet()) {
            if (!asked.contains(k)) {
                throw new UsageException("unknown option --" + k);
            }
        }
        for (String k : flags) {
            if (!asked.contains(k)) {
                throw new UsageException("unknown option --" + k);
            }
        }
    }

    private static <T> T parse(String name, String v, java.util.function.Function<String, T> parser) {
        try {
            return parser.apply(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " expects a number, got '" + v + "'");
        }
    }

    /** Wrong use of the command line: printed with the usage, exit status 2. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
