package org.lte4j.runtime.api;

/** When a transfer in a task graph happens. */
public enum DataTransferMode {
    /** Only the first time the plan executes (weights, constants). */
    FIRST_EXECUTION,
    /** Every execution (inputs that change, outputs read back). */
    EVERY_EXECUTION,
    /** Never automatically: only when {@code ExecutionPlan.transferToHost} is asked. */
    UNDER_DEMAND
}
