package org.lte4j.cli;

import java.util.List;

import org.lte4j.runtime.Devices;
import org.lte4j.runtime.backend.Backend;
import org.lte4j.runtime.backend.Device;

/** Lists every backend, its devices with their memory, and why a backend has none. */
final class DevicesCommand implements Subcommand {
    @Override
    public String name() {
        return "devices";
    }

    @Override
    public String summary() {
        return "list backends and devices (and why a backend is missing)";
    }

    @Override
    public String usage() {
        return "";
    }

    @Override
    public int run(Args args, Console console) {
        args.rejectUnknown();
        for (Backend b : Devices.backends()) {
            List<? extends Device> ds = b.devices();
            if (ds.isEmpty()) {
                console.println(b.kind().specName + ": unavailable - " + b.unavailableReason().orElse("no devices"));
                continue;
            }
            for (Device d : ds) {
                console.println(String.format("%-9s %s | %.1f GiB | %s", b.kind().specName + ":" + d.index(), d.name(),
                        d.globalMemoryBytes() / (double) (1L << 30), d.describe()));
            }
        }
        console.println("auto -> " + describe(Devices.select("auto")));
        return 0;
    }

    static String describe(Device d) {
        return d.kind().specName + ":" + d.index() + " (" + d.name() + ")";
    }
}
