package org.lte4j.model.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.lte4j.runtime.Devices;
import org.lte4j.runtime.backend.Device;

/**
 * Work-group sizes the kernels cannot run are refused when the options are made, not found as
 * missing rows later: the four-row GEMVs store their rows from items 0-3, and the int8
 * quantizations exchange a block's eight word maxima inside one group.
 */
class DecodeOptionsTest {
    private final Device jvm = Devices.select("jvm");

    @Test
    void groupsOfRowsNeedFourItems() {
        DecodeOptions defaults = DecodeOptions.defaults(jvm, 8);
        assertEquals(DecodeOptions.GemvSplit.GROUPS_OF_ROWS, defaults.gemv());
        assertEquals(4, defaults.localSize());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> defaults.withLocalSize(2));
        assertTrue(e.getMessage().contains("at least 4"), e.getMessage());
        // the barrier-free item-per-row kernels take any group
        assertEquals(2, defaults.withGemv(DecodeOptions.GemvSplit.ITEM_PER_ROW).withLocalSize(2).localSize());
    }

    @Test
    void int8BlocksNeedEightItemsAndAreNotTheDefaultOffCuda() {
        DecodeOptions defaults = DecodeOptions.defaults(jvm, 8);
        assertEquals(DecodeOptions.Q8_0Input.FLOATS, defaults.q8_0Input());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> defaults.withQ8_0Input(DecodeOptions.Q8_0Input.INT8_BLOCKS)); // the JVM backend's groups of 4
        assertTrue(e.getMessage().contains("at least 8"), e.getMessage());
        DecodeOptions wide = defaults.withLocalSize(8).withVectorLocalSize(8).withQ8_0Input(DecodeOptions.Q8_0Input.INT8_BLOCKS);
        assertEquals(DecodeOptions.Q8_0Input.INT8_BLOCKS, wide.q8_0Input());
    }
}
