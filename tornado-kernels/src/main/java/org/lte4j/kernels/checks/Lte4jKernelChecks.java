package org.lte4j.kernels.checks;

import java.util.ArrayList;
import java.util.List;

import org.lte4j.runtime.selftest.KernelCheck;
import org.lte4j.runtime.selftest.KernelCheckProvider;

/** Every kernel of lte4j-kernels, for {@code lte4j selftest}; listed in META-INF/services. */
public final class Lte4jKernelChecks implements KernelCheckProvider {
    @Override
    public List<KernelCheck> checks() {
        List<KernelCheck> all = new ArrayList<>();
        all.addAll(VectorOpsChecks.all());
        all.addAll(ReductionChecks.all());
        all.addAll(MatVecChecks.all());
        all.addAll(FusedMatVecChecks.all());
        all.addAll(QuantizedInputChecks.all());
        all.addAll(LayerChecks.all());
        all.addAll(AttentionChecks.all());
        all.addAll(LteChecks.all());
        all.addAll(RowPerItemLteChecks.all());
        all.addAll(TokenBatchChecks.all());
        return all;
    }
}
