package org.lte4j.runtime.backend.cuda;

import org.lte4j.runtime.api.WorkerGrid;

/**
 * Blocks and threads per block for one launch. With an explicit local size the grid is exactly
 * global/local blocks. Without one, a loop-style kernel (a grid-stride loop, right for any launch
 * size) gets blocks of up to 256 threads and enough blocks to cover the global size; a
 * KernelContext kernel gets the largest block that divides the global size, because it sees the
 * global size and must not run extra work-items.
 */
record LaunchShape(int gridX, int gridY, int blockX, int blockY) {
    static final int DEFAULT_BLOCK = 256;
    /** The driver's limit on gridDim.y (gridDim.x allows 2^31-1). */
    static final int MAX_GRID_Y = 65535;

    static LaunchShape of(String kernelName, boolean usesContext, WorkerGrid grid, int kernelMaxThreads) {
        int bx;
        int by;
        if (grid.hasLocalSize()) {
            bx = grid.localX();
            by = Math.max(1, grid.localY());
            if ((long) bx * by > kernelMaxThreads) {
                throw new IllegalArgumentException("kernel '" + kernelName + "': work-group " + bx + "x" + by + " = "
                        + (long) bx * by + " threads exceeds its limit of " + kernelMaxThreads + " threads per block");
            }
        } else {
            int limit = Math.max(1, Math.min(DEFAULT_BLOCK, kernelMaxThreads));
            if (grid.globalY() == 1) {
                bx = usesContext ? largestDivisorAtMost(grid.globalX(), limit) : Math.min(limit, roundUp(grid.globalX(), 32));
                by = 1;
            } else {
                int side = Math.max(1, (int) Math.sqrt(limit));
                bx = usesContext ? largestDivisorAtMost(grid.globalX(), side) : Math.min(side, grid.globalX());
                int rest = Math.max(1, limit / bx);
                by = usesContext ? largestDivisorAtMost(grid.globalY(), rest) : Math.min(rest, grid.globalY());
            }
        }
        long gx = ceilDiv(grid.globalX(), bx);
        long gy = ceilDiv(grid.globalY(), by);
        if (gy > MAX_GRID_Y) {
            throw new IllegalArgumentException("kernel '" + kernelName + "': " + gy + " blocks in y exceed CUDA's limit of "
                    + MAX_GRID_Y + " (global " + grid.globalX() + "x" + grid.globalY() + ", block " + bx + "x" + by + ")");
        }
        return new LaunchShape((int) gx, (int) gy, bx, by);
    }

    static int largestDivisorAtMost(int n, int limit) {
        for (int d = Math.min(n, limit); d > 1; d--) {
            if (n % d == 0) {
                return d;
            }
        }
        return 1;
    }

    private static int roundUp(int n, int multiple) {
        return (int) Math.min(Integer.MAX_VALUE, ceilDiv(n, multiple) * multiple);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    int threads() {
        return blockX * blockY;
    }
}
