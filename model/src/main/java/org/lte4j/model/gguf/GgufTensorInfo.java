package org.lte4j.model.gguf;

import org.lte4j.model.tensor.GgmlType;

/**
 * One tensor as the GGUF header describes it.
 *
 * @param shape      outermost dimension first (the file lists them innermost first)
 * @param dataOffset offset of the tensor's bytes from the start of the data section
 * @param fileOffset absolute offset of the bytes in the file
 * @param infoOffset absolute offset of this tensor's header entry, for error messages
 */
public record GgufTensorInfo(String name, GgmlType type, long[] shape, long dataOffset, long fileOffset,
                             long byteSize, long infoOffset) {
    public GgufTensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }
}
