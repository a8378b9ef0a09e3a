package org.lte4j.runtime.api;

/**
 * A launch grid: the global size (total work-items) and the work-group size per dimension.
 * A local size of 0 lets the backend choose.
 */
public record WorkerGrid(int globalX, int globalY, int localX, int localY) {

    public WorkerGrid {
        if (globalX < 1 || globalY < 1) {
            throw new IllegalArgumentException("global size must be >= 1, was " + globalX + "x" + globalY);
        }
        if (localX < 0 || localY < 0) {
            throw new IllegalArgumentException("local size must be >= 0, was " + localX + "x" + localY);
        }
        if (localX > 0 && globalX % localX != 0 || localY > 0 && globalY % localY != 0) {
            throw new IllegalArgumentException("global size " + globalX + "x" + globalY
                    + " is not a multiple of the local size " + localX + "x" + localY);
        }
    }

    public static WorkerGrid of(int global, int local) {
        return new WorkerGrid(global, 1, local, local == 0 ? 0 : 1);
    }

    public static WorkerGrid of(int global) {
        return new WorkerGrid(global, 1, 0, 0);
    }

    public static WorkerGrid of2D(int globalX, int globalY, int localX, int localY) {
        return new WorkerGrid(globalX, globalY, localX, localY);
    }

    /** Global size rounded up to a multiple of the local size (grid-stride kernels tolerate it). */
    public static WorkerGrid covering(long items, int local, int maxGroups) {
        long groups = Math.min(Math.max(1, (items + local - 1) / local), maxGroups);
        return of((int) (groups * local), local);
    }

    public boolean hasLocalSize() {
        return localX > 0;
    }

    public int groupsX() {
        return hasLocalSize() ? globalX / localX : 1;
    }

    public int groupsY() {
        return hasLocalSize() ? globalY / Math.max(1, localY) : 1;
    }
}
