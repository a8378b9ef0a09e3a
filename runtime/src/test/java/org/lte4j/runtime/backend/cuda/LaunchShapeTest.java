package org.lte4j.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lte4j.runtime.api.WorkerGrid;

class LaunchShapeTest {

    @Test
    void anExplicitLocalSizeGivesExactlyGlobalOverLocalBlocks() {
        assertEquals(new LaunchShape(4, 1, 256, 1), LaunchShape.of("k", true, WorkerGrid.of(1024, 256), 1024));
        assertEquals(new LaunchShape(8, 2, 16, 16), LaunchShape.of("k", true, WorkerGrid.of2D(128, 32, 16, 16), 1024));
    }

    @Test
    void aLoopKernelWithoutLocalSizeCoversTheGlobalSizeWithBlocksOf256() {
        LaunchShape s = LaunchShape.of("k", false, WorkerGrid.of(1000), 1024);
        assertEquals(256, s.blockX());
        assertEquals(4, s.gridX()); // 1024 threads >= 1000: a grid-stride loop ignores the extra ones
        LaunchShape tiny = LaunchShape.of("k", false, WorkerGrid.of(5), 1024);
        assertEquals(new LaunchShape(1, 1, 32, 1), tiny);
    }

    @Test
    void aContextKernelWithoutLocalSizeGetsABlockThatDividesTheGlobalSize() {
        LaunchShape s = LaunchShape.of("k", true, WorkerGrid.of(1000), 1024);
        assertEquals(0, 1000 % s.blockX());
        assertEquals(250, s.blockX());
        assertEquals(1000, s.gridX() * s.blockX());
        assertEquals(new LaunchShape(1, 1, 7, 1), LaunchShape.of("k", true, WorkerGrid.of(7), 1024));
        assertEquals(new LaunchShape(257, 1, 1, 1), LaunchShape.of("k", true, WorkerGrid.of(257), 1024));
    }

    @Test
    void theKernelsOwnThreadLimitCapsTheDefaultBlock() {
        assertEquals(128, LaunchShape.of("k", false, WorkerGrid.of(1 << 20), 128).blockX());
    }

    @Test
    void aWorkGroupLargerThanTheKernelAllowsIsRefusedNamingTheKernel() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LaunchShape.of("rmsnorm", true, WorkerGrid.of(2048, 1024), 768));
        assertTrue(e.getMessage().contains("rmsnorm") && e.getMessage().contains("768"), e.getMessage());
    }

    @Test
    void twoDimensionalDefaultsStayWithinTheLimitAndCoverTheGrid() {
        LaunchShape s = LaunchShape.of("k", false, WorkerGrid.of2D(100, 50, 0, 0), 1024);
        assertTrue(s.threads() <= 256);
        assertTrue((long) s.gridX() * s.blockX() >= 100 && (long) s.gridY() * s.blockY() >= 50, s.toString());
        LaunchShape c = LaunchShape.of("k", true, WorkerGrid.of2D(100, 50, 0, 0), 1024);
        assertEquals(100, c.gridX() * c.blockX());
        assertEquals(50, c.gridY() * c.blockY());
    }

    @Test
    void tooManyBlocksInYAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LaunchShape.of("k", true, WorkerGrid.of2D(1, 70000, 1, 1), 1024));
    }

    @Test
    void largestDivisor() {
        assertEquals(256, LaunchShape.largestDivisorAtMost(1 << 20, 256));
        assertEquals(1, LaunchShape.largestDivisorAtMost(257, 256));
        assertEquals(3, LaunchShape.largestDivisorAtMost(3, 256));
    }
}
