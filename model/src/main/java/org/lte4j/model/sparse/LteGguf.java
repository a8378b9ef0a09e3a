package org.lte4j.model.sparse;

import java.util.Map;

/** Names of the LTE additions to a GGUF file; everything else in an LTE file is a plain model. */
public final class LteGguf {
    /** UINT32: neurons per expert. */
    public static final String EXPERT_SIZE = "lte.expert_size";
    /** FLOAT32: an expert is active when its gate is above this. */
    public static final String THRESHOLD = "lte.threshold";

    private LteGguf() {
    }

    /** {@code blk.N.ffn_router.weight}: {@code [experts, dim]}, F32, no bias. */
    public static String routerName(int layer) {
        return "blk." + layer + ".ffn_router.weight";
    }

    /** Whether the metadata declares an LTE model. */
    public static boolean isLte(Map<String, Object> metadata) {
        return metadata.containsKey(EXPERT_SIZE);
    }
}
