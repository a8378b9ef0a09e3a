package org.lte4j.cli;

import java.util.Map;

import org.lte4j.runtime.compiler.KernelCompiler;
import org.lte4j.runtime.compiler.Target;
import org.lte4j.runtime.selftest.KernelCheck;
import org.lte4j.runtime.selftest.SelfTest;

/** Lists the kernels, or prints the C a kernel compiles to. */
final class KernelCommand implements Subcommand {
    @Override
    public String name() {
        return "kernel";
    }

    @Override
    public String summary() {
        return "list kernels (--list) or print generated OpenCL C / CUDA C (--print Class::method --target opencl|cuda)";
    }

    @Override
    public String usage() {
        return "--list | --print Class::method [--target opencl|cuda]";
    }

    @Override
    public java.util.Set<String> flags() {
        return java.util.Set.of("list");
    }

    @Override
    public int run(Args args, Console console) {
        boolean list = args.flag("list");
        String print = args.get("print").orElse(null);
        Target target = Target.fromCliName(args.get("target", "opencl"));
        args.rejectUnknown();
        if (list == (print != null)) {
            throw new Args.UsageException("give either --list or --print Class::method");
        }
        if (list) {
            SelfTest.allChecks().stream().map(KernelCheck::kernelName).distinct().forEach(console::println);
            return 0;
        }
        KernelCheck check = SelfTest.allChecks().stream().filter(c -> c.kernelName().equals(print)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no kernel " + print + "; see lte4j kernel --list"));
        // Kernels whose local-array sizes are parameters compile with the values their check uses.
        Map<Integer, Object> specialisations = check.prepare(0).task().specialisations();
        console.println(KernelCompiler.compile(check.kernel(), target, specialisations).source());
        return 0;
    }
}
