package org.lte4j.model.train;

/**
 * One trainable tensor in fp32 with its gradient. Matrices are row-major {@code [rows][cols]}
 * in llama.cpp's layout (GGUF dims {@code [cols, rows]}); vectors have {@code rows == 1}.
 */
public final class Parameter {
    private final String name;
    private final int rows;
    private final int cols;
    private final float[] data;
    private final float[] grad;
    private final boolean decay;
    private boolean frozen;

    public Parameter(String name, int rows, int cols, boolean decay) {
        this.name = name;
        this.rows = rows;
        this.cols = cols;
        this.data = new float[Math.multiplyExact(rows, cols)];
        this.grad = new float[data.length];
        this.decay = decay;
    }

    public String name() {
        return name;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public boolean isVector() {
        return rows == 1;
    }

    public float[] data() {
        return data;
    }

    public float[] grad() {
        return grad;
    }

    /** Whether AdamW applies weight decay (not for norms). */
    public boolean decay() {
        return decay;
    }

    public boolean frozen() {
        return frozen;
    }

    public void setFrozen(boolean frozen) {
        this.frozen = frozen;
    }

    public void zeroGrad() {
        java.util.Arrays.fill(grad, 0f);
    }
}
