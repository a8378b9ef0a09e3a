package org.lte4j.runtime.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;
import org.lte4j.runtime.api.WorkerGrid;
import org.lte4j.runtime.backend.jvm.JvmDevice;
import org.lte4j.runtime.compiler.kernels.TestKernels;

/** Task graphs and plans on the JVM backend, against plain scalar loops. */
class TaskGraphJvmTest {

    @Test
    void twoTasksInOneGraphRunInOrder() {
        int n = 1000;
        Random r = new Random(1);
        FloatArray x = new FloatArray(n);
        FloatArray y = new FloatArray(n);
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            x.set(i, r.nextFloat());
            y.set(i, r.nextFloat());
            expected[i] = (2f * x.get(i) + y.get(i)) * 0.5f;
        }
        float alpha = 2f;
        float half = 0.5f;
        TaskGraph g = new TaskGraph("g")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, x, y)
                .task("saxpy", () -> GraphTestKernels.saxpy(alpha, x, y, n))
                .task("scale", () -> GraphTestKernels.scale(y, half, n))
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(new JvmDevice()).withProfiling(true)) {
            ExecutionProfile p = plan.execute();
            assertEquals(2, p.records().size());
        }
        for (int i = 0; i < n; i++) {
            assertEquals(expected[i], y.get(i), 0f);
        }
    }

    @Test
    void barrierKernelKeepsWorkGroupSemanticsOnTheJvm() {
        int n = 64 * 5;
        FloatArray in = new FloatArray(n);
        FloatArray partial = new FloatArray(5);
        double[] sums = new double[5];
        Random r = new Random(2);
        for (int i = 0; i < n; i++) {
            in.set(i, r.nextFloat());
            sums[i / 64] += in.get(i);
        }
        KernelContext ctx = new KernelContext();
        Task sum = Task.of("sum", () -> GraphTestKernels.groupSum(ctx, in, partial, n)).withGrid(WorkerGrid.of(n, 64));
        try (ExecutionPlan plan = new ExecutionPlan(new TaskGraph("r").task(sum).snapshot()).withDevice(new JvmDevice())) {
            plan.execute();
        }
        for (int g = 0; g < 5; g++) {
            assertEquals(sums[g], partial.get(g), 1e-4);
        }
    }

    @Test
    void contextKernelWithoutGridIsAClearError() {
        FloatArray in = new FloatArray(64);
        FloatArray partial = new FloatArray(1);
        KernelContext ctx = new KernelContext();
        TaskGraph g = new TaskGraph("r").task("sum", () -> GraphTestKernels.groupSum(ctx, in, partial, 64));
        try (ExecutionPlan plan = new ExecutionPlan(g.snapshot()).withDevice(new JvmDevice())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, plan::execute);
            assertTrue(e.getMessage().contains("'sum'"), e.getMessage());
        }
    }

    @Test
    void lambdaThatComputesIsRejectedWithAdvice() {
        FloatArray x = new FloatArray(4);
        FloatArray y = new FloatArray(4);
        int n = 4;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Task.of("bad", () -> GraphTestKernels.saxpy(1f, x, y, n * 2)));
        assertTrue(e.getMessage().contains("task 'bad'") && e.getMessage().contains("imul"), e.getMessage());
    }

    @Test
    void nullArrayArgumentIsRejected() {
        FloatArray y = new FloatArray(4);
        FloatArray x = null;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Task.of("nulls", () -> GraphTestKernels.saxpy(1f, x, y, 4)));
        assertTrue(e.getMessage().contains("argument 1") && e.getMessage().contains("null"), e.getMessage());
    }

    @Test
    void aPrefetchChangesNoResultOnTheJvmAndMustStayInsideItsArray() {
        int n = 300, local = 64;
        FloatArray w = new FloatArray(n);
        FloatArray x = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            w.set(i, i * 0.5f - 7f);
            x.set(i, (i % 5) + 0.25f);
        }
        FloatArray y = new FloatArray(n);
        KernelContext ctx = new KernelContext();
        Task t = Task.of("prefetched", () -> TestKernels.weightPrefetchedBeforeAwait(ctx, w, x, y, n))
                .withGrid(WorkerGrid.of((n + local - 1) / local * local, local));
        try (ExecutionPlan plan = new ExecutionPlan(new TaskGraph("p").task(t).snapshot()).withDevice(new JvmDevice())) {
            plan.execute();
        }
        for (int i = 0; i < n; i++) {
            assertEquals(w.get(i) * x.get(i), y.get(i), 0f, "element " + i);
        }
        // a range past the end would be a stray read on a device: the JVM backend says so
        ctx.prefetchToCache(w, n - 4, 4);
        assertThrows(IndexOutOfBoundsException.class, () -> ctx.prefetchToCache(w, n - 4, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> ctx.prefetchToCache(w, -1, 1));
    }

    @Test
    void theLastGroupSeesEveryGroupsWritesOnTheJvm() {
        int n = 700, local = 64, groups = 11;
        FloatArray in = new FloatArray(n);
        float expected = 0f;
        for (int g = 0; g < groups; g++) {
            float s = 0f;
            for (int i = g * local; i < g * local + local && i < n; i++) {
                in.set(i, (i % 13) * 0.5f);
                s += in.get(i);
            }
            expected += s;
        }
        FloatArray partial = new FloatArray(groups);
        IntArray ticket = new IntArray(1);
        FloatArray total = new FloatArray(1);
        KernelContext ctx = new KernelContext();
        Task sum = Task.of("sum", () -> TestKernels.sumOfGroupsInLastGroup(ctx, in, partial, ticket, total, n))
                .withGrid(WorkerGrid.of(groups * local, local));
        try (ExecutionPlan plan = new ExecutionPlan(new TaskGraph("last").task(sum).snapshot()).withDevice(new JvmDevice())) {
            for (int run = 0; run < 2; run++) {
                total.set(0, -1f);
                plan.execute();
                assertEquals(expected, total.get(0), 0f, "run " + run);
                assertEquals(0, ticket.get(0), "ticket reset");
            }
        }
    }
}
