package org.lte4j.runtime.graph;

import org.lte4j.runtime.api.DataTransferMode;
import org.lte4j.runtime.api.NativeArray;

/** One declared step of a task graph. */
sealed interface GraphStep {
    record Upload(DataTransferMode mode, NativeArray[] arrays) implements GraphStep {
    }

    record Download(DataTransferMode mode, NativeArray[] arrays) implements GraphStep {
    }

    record Launch(Task task) implements GraphStep {
    }
}
