package org.lte4j.cli;

import org.lte4j.runtime.Devices;
import org.lte4j.runtime.backend.Device;
import org.lte4j.runtime.selftest.SelfTest;

/** Runs every kernel on a device against the JVM run of the same method. */
final class SelfTestCommand implements Subcommand {
    @Override
    public String name() {
        return "selftest";
    }

    @Override
    public String summary() {
        return "run every kernel on a device and compare with the JVM";
    }

    @Override
    public String usage() {
        return "[--device jvm|opencl[:N]|cuda[:N]|auto] [--seed S]";
    }

    @Override
    public int run(Args args, Console console) {
        Device device = Devices.select(args.get("device", "auto"));
        long seed = args.getLong("seed", System.nanoTime());
        args.rejectUnknown();
        console.status("selftest on " + DevicesCommand.describe(device) + ", seed " + seed);
        SelfTest.Summary s = SelfTest.run(device, seed, console::println);
        return s.failed() == 0 && s.passed() > 0 ? 0 : 1;
    }
}
