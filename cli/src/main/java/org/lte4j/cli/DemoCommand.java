package org.lte4j.cli;

import org.lte4j.bench.RuntimeBenchmark;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.selftest.SelfTest;

/**
 * The main job. Until lte4j ships a default LTE model it proves the runtime instead: the
 * self-test on the best device, then the GEMV bandwidth benchmark there, and says so.
 */
final class DemoCommand implements Subcommand {
    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String summary() {
        return "the main job: self-test and GEMV benchmark on the best device (sparse generation once a default model ships)";
    }

    @Override
    public String usage() {
        return "[--device SPEC]";
    }

    @Override
    public int run(Args args, Console console) {
        Device device = Devices.select(args.get("device", "auto"));
        args.rejectUnknown();
        console.println("lte4j demo: no default model is bundled yet, so this runs the kernel self-test and a GEMV benchmark on "
                + DevicesCommand.describe(device) + ".");
        SelfTest.Summary s = SelfTest.run(device, 42, console::println);
        RuntimeBenchmark.run(device, console::println);
        return s.failed() == 0 ? 0 : 1;
    }
}
