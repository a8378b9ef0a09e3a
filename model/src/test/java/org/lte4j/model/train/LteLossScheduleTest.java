package org.lte4j.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LteLossScheduleTest {
    private static StepResult sparsity(double s) {
        return new StepResult(1, 0, 0, 1, 1, s);
    }

    @Test
    void constantIsThePaperLossAtEveryStepAndIgnoresFeedback() {
        LteLossSchedule s = LteLossSchedule.constant(LteLoss.paper(100));
        s.observe(sparsity(0.0));
        for (long step : new long[] {0, 7, 1000}) assertEquals(LteLoss.paper(100), s.at(step));
    }

    @Test
    void separationIsOffThenRampsLinearlyThenStaysAtThePaperWeight() {
        LteLossSchedule s = LteLossSchedule.rampedSeparation(30, 100, 200);
        assertEquals(0.0, s.at(0).lambda());
        assertEquals(0.0, s.at(99).lambda());
        assertEquals(0.0, s.at(100).lambda());
        assertEquals(0.25, s.at(150).lambda(), 1e-12);
        assertEquals(0.5, s.at(200).lambda());
        assertEquals(0.5, s.at(5000).lambda());
        assertEquals(30.0, s.at(150).eta(), 1e-9);
        assertEquals(0.5, s.at(150).tau());
    }

    @Test
    void etaMovesUpBelowTheTargetAndDownAboveItByTheGainInLogSpace() {
        LteLossSchedule s = LteLossSchedule.targeting(0.5, 100, 0, 0);
        s.observe(sparsity(0.1)); // too dense: more pressure
        assertEquals(100 * Math.exp(LteLossSchedule.GAIN * 0.4), s.eta(), 1e-9);
        s.observe(sparsity(0.9)); // too sparse: back to where it was
        assertEquals(100, s.eta(), 1e-9);
        s.observe(sparsity(0.5));
        assertEquals(100, s.at(3).eta(), 1e-9);
    }

    @Test
    void etaStaysWithinItsBounds() {
        LteLossSchedule up = LteLossSchedule.targeting(0.9, 1e4, 0, 0);
        for (int i = 0; i < 10_000; i++) up.observe(sparsity(0));
        assertEquals(LteLossSchedule.MAX_ETA, up.eta(), 1e-6 * LteLossSchedule.MAX_ETA);
        LteLossSchedule down = LteLossSchedule.targeting(0.1, 1, 0, 0);
        for (int i = 0; i < 10_000; i++) down.observe(sparsity(1));
        assertEquals(LteLossSchedule.MIN_ETA, down.eta(), 1e-9);
        assertTrue(down.at(0).eta() > 0);
    }

    @Test
    void rejectsTargetsOutsideTheOpenUnitInterval() {
        assertThrows(IllegalArgumentException.class, () -> LteLossSchedule.targeting(1.0, 10, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> LteLossSchedule.targeting(0.0, 10, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> LteLossSchedule.rampedSeparation(1, 10, 5));
    }
}
