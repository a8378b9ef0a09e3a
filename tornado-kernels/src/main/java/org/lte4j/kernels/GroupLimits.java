package org.lte4j.kernels;

/**
 * Limits shared by the work-group kernels. Local (shared) arrays must have a compile-time
 * constant size, so every kernel that reduces in local memory allocates this many slots and
 * accepts any power-of-two work-group size up to it.
 */
public final class GroupLimits {
    /**
     * Largest work-group size the reduction kernels accept (they need a power of two). 1024 floats
     * are 4 KiB of local memory per array, small enough not to limit occupancy on GPUs.
     */
    public static final int MAX_LOCAL_SIZE = 1024;

    private GroupLimits() {
    }

    /** Whether {@code local} is a work-group size the reduction kernels accept. */
    public static boolean isValidLocalSize(int local) {
        return local >= 1 && local <= MAX_LOCAL_SIZE && Integer.bitCount(local) == 1;
    }
}
