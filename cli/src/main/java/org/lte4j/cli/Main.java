package org.lte4j.cli;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.lte4j.model.tensor.ModelFormatException;
import org.lte4j.model.tokenizer.TokenizerFormatException;
import org.lte4j.runtime.backend.DeviceOutOfMemoryException;
import org.lte4j.runtime.compiler.KernelCompilationException;

/**
 * The lte4j command. Errors are messages, not stack traces: a usage error exits 2, any other
 * failure exits 1 with one line saying what went wrong ({@code --stacktrace} shows the trace).
 */
public final class Main {
    private Main() {
    }

    static Map<String, Subcommand> commands() {
        Map<String, Subcommand> m = new LinkedHashMap<>();
        for (Subcommand c : List.of(
                new DemoCommand(),
                new DevicesCommand(),
                new SelfTestCommand(),
                new KernelCommand(),
                new GenerateCommand(),
                new BenchCommand(),
                new MoefyCommand(),
                new PretrainCommand(),
                new TrainCommand(),
                new CalibrateCommand(),
                new EvalCommand())) {
            m.put(c.name(), c);
        }
        return m;
    }

    public static void main(String[] argv) {
        System.exit(run(argv, new Console(System.out, System.err)));
    }

    static int run(String[] argv, Console console) {
        Map<String, Subcommand> commands = commands();
        if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help") || argv[0].equals("-h")) {
            printHelp(commands, console);
            return argv.length == 0 ? 2 : 0;
        }
        Subcommand c = commands.get(argv[0]);
        if (c == null) {
            console.status("lte4j: unknown command '" + argv[0] + "'");
            printHelp(commands, console);
            return 2;
        }
        List<String> rest = Arrays.asList(argv).subList(1, argv.length);
        boolean trace = rest.contains("--stacktrace");
        try {
            Args args = new Args(rest.stream().filter(w -> !w.equals("--stacktrace")).toList(), c.flags());
            return c.run(args, console);
        } catch (Args.UsageException e) {
            console.status("lte4j " + c.name() + ": " + e.getMessage());
            console.status("usage: lte4j " + c.name() + " " + c.usage());
            return 2;
        } catch (KernelCompilationException e) {
            console.status("lte4j " + c.name() + ": kernel not compilable: " + e.getMessage());
            if (trace) {
                e.printStackTrace(console.err());
            }
            return 1;
        } catch (Exception | Error e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            console.status("lte4j " + c.name() + ": " + message);
            if (trace) {
                e.printStackTrace(console.err());
            } else if (!isUserFacing(e)) {
                console.status("(" + e.getClass().getName() + "; run again with --stacktrace for details)");
            }
            return 1;
        }
    }

    /** Errors whose message is the whole story (bad input, missing files or devices): no hint about traces. */
    private static boolean isUserFacing(Throwable e) {
        return e instanceof IllegalArgumentException || e instanceof java.io.IOException
                || e instanceof ModelFormatException || e instanceof TokenizerFormatException
                || e instanceof DeviceOutOfMemoryException;
    }

    private static void printHelp(Map<String, Subcommand> commands, Console console) {
        console.status("usage: lte4j COMMAND [options]   (add --stacktrace to any command to see a failure's trace)");
        for (Subcommand c : commands.values()) {
            console.status(String.format("  %-10s %s", c.name(), c.summary()));
        }
    }
}
