package org.lte4j.runtime.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.lte4j.runtime.backend.BackendException;

class NvrtcOptionsTest {
    private static final int[] CUDA13 = {75, 80, 86, 87, 88, 89, 90, 100, 103, 110, 120, 121};

    @Test
    void aKnownArchitectureCompilesToMachineCode() {
        assertEquals("sm_90", NvrtcCompiler.chooseArchitecture(90, CUDA13));
    }

    @Test
    void aDeviceNewerThanNvrtcGetsPtxOfTheNewestArchitectureBelowIt() {
        assertEquals("compute_121", NvrtcCompiler.chooseArchitecture(130, CUDA13));
        assertEquals("compute_90", NvrtcCompiler.chooseArchitecture(95, CUDA13));
    }

    @Test
    void aDeviceOlderThanEveryArchitectureIsAClearError() {
        BackendException e = assertThrows(BackendException.class, () -> NvrtcCompiler.chooseArchitecture(61, CUDA13));
        assertTrue(e.getMessage().contains("6.1"), e.getMessage());
    }

    @Test
    void fastMathOnlyWhenAsked() {
        assertEquals(List.of("--gpu-architecture=sm_90"), NvrtcCompiler.options("sm_90", false));
        assertEquals(List.of("--gpu-architecture=sm_90", "--use_fast_math"), NvrtcCompiler.options("sm_90", true));
    }
}
