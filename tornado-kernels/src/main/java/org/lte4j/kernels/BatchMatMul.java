package org.lte4j.kernels;

import org.lte4j.runtime.api.FloatArray;
import org.lte4j.runtime.api.HalfArray;
import org.lte4j.runtime.api.IntArray;
import org.lte4j.runtime.api.KernelContext;

/**
 * Matrix products for a batch of tokens, {@code Y[b][r] = sum_c W[r][c] * X[b][c]} with
 * {@code W} row-major ({@code rows x cols}, stored as the GEMVs of {@link MatVec} read it) and
 * {@code X}, {@code Y} token-major ({@code x[b * cols + c]}, {@code y[b * rows + r]}). Prompt
 * prefill runs these instead of one GEMV per token: each weight word is loaded once and serves
 * every token of the batch, so a batch of B tokens reads the weights once instead of B times.
 * Every token of the batch is computed; a partial last batch leaves its unused token rows
 * holding whatever they held (finite), which nothing downstream reads. {@code batch} must be in
 * 1..{@link #MAX_BATCH}; specialise it (Task.specialising) so a GPU compiler unrolls the
 * per-token loops and keeps the per-token sums in registers.
 *
 * <p><b>Tiled</b> ({@code matMul*Tiled}, what prefill runs): a work-group computes a block of
 * {@link #TILED_ROWS} rows for all tokens. Its L items are {@link #ROW_SLOTS} row slots of
 * {@code lanes = L / ROW_SLOTS} neighbouring items (a warp per slot at L = 256); the item in slot
 * s, lane l owns rows {@code 4s .. 4s + 3} of the block and {@code 4 x batch} sums in a private
 * array (registers once the token loop is unrolled). The group walks the columns in tiles: it
 * stages the batch's x over the tile's columns in local memory (coalesced; the halves and
 * quarters of a word stored apart so lane reads are free of bank conflicts), and each item takes
 * P words of each of its four rows (words {@code l, l + lanes, ...} of the tile: a slot's loads
 * are contiguous) and the tile's x values of those columns for every token from local memory.
 * P = 4 for fp16 and fp32 (tiles of L and L / 2 columns), 2 for Q8_0 (L columns). The next
 * tile's weight words are loaded before this tile's multiply-adds, so they are in flight while
 * the item computes. At the end of a block the lanes' sums of each (row, token) are added in
 * local memory, one round per row of the item (four), one serial sum over the lanes per
 * (slot, token), in lane order.
 *
 * <p>Generated CUDA C at batch 16 through nvcc 13.0 for sm_90 ({@code -Xptxas -v}): every
 * private array in registers (fp32 168 registers, no stack; fp16 255 registers, a 4-byte spill;
 * Q8_0 255 registers, no stack), so one group of 256 items per SM.
 *
 * <p>Counts per item per iteration (one weight word of each row it owns), fp16 words, batch
 * T = 16, L = 256:
 * <pre>
 *                          one row per group (matMulF16Pairs)   tiled (matMulF16PairsTiled)
 * weight bytes (global)    4                                    16 (4 rows)
 * x loads from global      2T = 32 (L1/L2)                      T / 4 = 4 (staged, coalesced)
 * x stores to local        0                                    T / 4 = 4
 * x loads from local       0                                    2T = 32
 * multiply-adds            2T = 32                              8T = 128
 * global loads per FMA     33 / 32 = 1.03                       8 / 128 = 0.0625
 * all loads per FMA        1.03                                 40 / 128 = 0.31
 * x bytes from L2 per weight byte   32                          1 (each x value once per 32 rows)
 * reduction per row        T x L = 4096 adds, 8 barriers        T x lanes = 512 adds, 1/4 barrier
 * </pre>
 * F32 per word: 4 weight bytes per row, T / 8 x loads and stores, T local loads, 4T FMAs (one
 * local load per four FMAs, as fp16). Q8_0 per word: 4 quant bytes (+ a shared fp16 scale) per
 * row, T / 2 x loads and stores, 4T local loads, 16T FMAs. Local memory per group, all three:
 * {@link #TILED_LOCAL_FLOATS} floats (32.1 KiB; the tile needs at most {@code MAX_BATCH x L}
 * = 8192 floats (fp16, Q8_0), the reduction reuses it with {@code lanes x 257} floats), under the
 * 48 KiB of static shared memory CUDA allows. Grid: {@code WorkerGrid.of(tiledGroups(rows) * L, L)},
 * L a power of two in {@link #ROW_SLOTS}..{@link #MAX_LOCAL_SIZE} (see {@link #isValidTiledLocalSize});
 * fewer groups loop over blocks.
 *
 * <p><b>One row per group</b> ({@code matMulF32}, {@code matMulF16Pairs},
 * {@code matMulQ8_0SplitWords}; kept as the baseline the tiled kernels are measured against):
 * items stride over the columns as in the GEMVs, each item keeps {@code batch} partial sums in
 * private memory, and the group adds the partials of all tokens at once as one tree over
 * {@code batch x L} local slots. Grid: 1-D, {@code WorkerGrid.of(rows * L, L)}, L a power of two
 * at most {@link #MAX_LOCAL_SIZE}. Traffic: the weights once, X once per row (from cache), Y
 * written once.
 */
public final class BatchMatMul {
    /** Largest batch: the partial sums of one item live in a private array of this size. */
    public static final int MAX_BATCH = 32;
    /** Largest work-group: the reduction needs {@code MAX_BATCH * L} floats (32 KiB) of local memory. */
    public static final int MAX_LOCAL_SIZE = 256;
    /** Rows each item of a tiled kernel owns: every x value it reads from local memory serves this many rows. */
    public static final int ROWS_PER_ITEM = 4;
    /** Row slots of a tiled work-group; the {@code L / ROW_SLOTS} items of a slot stride over the columns. */
    public static final int ROW_SLOTS = 8;
    /** Rows of W a tiled work-group computes: each x value it stages serves all of them. */
    public static final int TILED_ROWS = ROWS_PER_ITEM * ROW_SLOTS;
    /** Words of each row an item of the fp16 and fp32 tiled kernels takes per tile (Q8_0: two). */
    private static final int WIDE_WORDS = 4;
    /** Stride between lanes in the tiled reduction: odd, so neither its writes nor its reads conflict on banks. */
    private static final int LANE_STRIDE = ROW_SLOTS * MAX_BATCH + 1;
    /**
     * Local memory of a tiled group, in floats: the x tile (at most MAX_BATCH x L) or, reusing it,
     * the reduction (lanes x LANE_STRIDE): 8224 floats, 32.1 KiB. A constant expression (the
     * kernels' local array needs a compile-time size), hence the conditional and not Math.max.
     */
    public static final int TILED_LOCAL_FLOATS = MAX_BATCH * MAX_LOCAL_SIZE > MAX_LOCAL_SIZE / ROW_SLOTS * LANE_STRIDE
            ? MAX_BATCH * MAX_LOCAL_SIZE : MAX_LOCAL_SIZE / ROW_SLOTS * LANE_STRIDE;

    private BatchMatMul() {
    }

    /** Whether a work-group of {@code local} items fits the batch reduction (a power of two up to {@link #MAX_LOCAL_SIZE}). */
    public static boolean isValidLocalSize(int local) {
        return local >= 1 && local <= MAX_LOCAL_SIZE && Integer.bitCount(local) == 1;
    }

    /** Whether a work-group of {@code local} items fits the tiled kernels (a power of two in ROW_SLOTS..MAX_LOCAL_SIZE). */
    public static boolean isValidTiledLocalSize(int local) {
        return local >= ROW_SLOTS && isValidLocalSize(local);
    }

    /** Work-groups of a tiled kernel's grid for {@code rows} rows: one per block of {@link #TILED_ROWS}. */
    public static int tiledGroups(int rows) {
        return (rows + TILED_ROWS - 1) / TILED_ROWS;
    }

    /** fp32 weights. */
    public static void matMulF32(KernelContext ctx, FloatArray w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        float[] scratch = ctx.allocateFloatLocalArray(MAX_BATCH * MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        for (int row = ctx.groupIdx; row < rows; row += groups) {
            long base = (long) row * cols;
            float[] acc = new float[MAX_BATCH];
            for (int c = lid; c < cols; c += size) {
                float wc = w.get(base + c);
                for (int b = 0; b < batch; b++) {
                    acc[b] += wc * x.get((long) b * cols + c);
                }
            }
            for (int b = 0; b < batch; b++) {
                scratch[b * size + lid] = acc[b];
            }
            sumEachToken(ctx, scratch, batch);
            for (int b = lid; b < batch; b += size) {
                y.set((long) b * rows + row, scratch[b * size]);
            }
            ctx.localBarrier(); // the sums are read before the next row overwrites scratch
        }
    }

    /**
     * fp16 weights read as 32-bit words of two halves (element 2j in the low half), the layout
     * {@link MatVec#gemvF16PairsFourRows} reads; {@code cols} must be even.
     */
    public static void matMulF16Pairs(KernelContext ctx, IntArray w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        float[] scratch = ctx.allocateFloatLocalArray(MAX_BATCH * MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int words = cols / 2;
        for (int row = ctx.groupIdx; row < rows; row += groups) {
            long base = (long) row * words;
            float[] acc = new float[MAX_BATCH];
            for (int j = lid; j < words; j += size) {
                int word = w.get(base + j);
                float w0 = Float.float16ToFloat((short) word);
                float w1 = Float.float16ToFloat((short) (word >>> 16));
                for (int b = 0; b < batch; b++) {
                    long at = (long) b * cols + 2 * j;
                    acc[b] += w0 * x.get(at) + w1 * x.get(at + 1);
                }
            }
            for (int b = 0; b < batch; b++) {
                scratch[b * size + lid] = acc[b];
            }
            sumEachToken(ctx, scratch, batch);
            for (int b = lid; b < batch; b += size) {
                y.set((long) b * rows + row, scratch[b * size]);
            }
            ctx.localBarrier();
        }
    }

    /**
     * GGML Q8_0 weights split as {@link MatVec#gemvQ8_0SplitWordsFourRows} reads them: row r's
     * int8 quants as {@code cols / 4} words and its {@code cols / 32} fp16 block scales;
     * {@code cols} a multiple of 32. Each quant word is dequantised once for all tokens.
     */
    public static void matMulQ8_0SplitWords(KernelContext ctx, IntArray quants, HalfArray scales, FloatArray x, FloatArray y,
                                            int rows, int cols, int batch) {
        float[] scratch = ctx.allocateFloatLocalArray(MAX_BATCH * MAX_LOCAL_SIZE);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int groups = ctx.globalGroupSizeX / size;
        int words = cols / 4;
        int blocks = cols / MatVec.Q8_0_BLOCK;
        for (int row = ctx.groupIdx; row < rows; row += groups) {
            float[] acc = new float[MAX_BATCH];
            for (int j = lid; j < words; j += size) {
                int q = quants.get((long) row * words + j);
                float d = scales.get((long) row * blocks + j / 8);
                float w0 = d * (byte) q;
                float w1 = d * (byte) (q >> 8);
                float w2 = d * (byte) (q >> 16);
                float w3 = d * (byte) (q >> 24);
                for (int b = 0; b < batch; b++) {
                    long at = (long) b * cols + 4 * j;
                    acc[b] += w0 * x.get(at) + w1 * x.get(at + 1) + w2 * x.get(at + 2) + w3 * x.get(at + 3);
                }
            }
            for (int b = 0; b < batch; b++) {
                scratch[b * size + lid] = acc[b];
            }
            sumEachToken(ctx, scratch, batch);
            for (int b = lid; b < batch; b += size) {
                y.set((long) b * rows + row, scratch[b * size]);
            }
            ctx.localBarrier();
        }
    }

    /**
     * fp32 weights, tiled (see the class comment): each item takes four fp32 weights of each of
     * its four rows per tile of {@code L / 2} columns.
     */
    public static void matMulF32Tiled(KernelContext ctx, FloatArray w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        float[] tile = ctx.allocateFloatLocalArray(TILED_LOCAL_FLOATS);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int lanes = size / ROW_SLOTS;
        int slot = lid / lanes;
        int lane = lid - slot * lanes;
        int tileWords = WIDE_WORDS * lanes;
        int groups = ctx.globalGroupSizeX / size;
        int rowBlocks = tiledGroups(rows);
        for (int block = ctx.groupIdx; block < rowBlocks; block += groups) {
            int r0 = block * TILED_ROWS + slot * ROWS_PER_ITEM;
            float[] acc = new float[ROWS_PER_ITEM * MAX_BATCH];
            float[] next = new float[WIDE_WORDS * ROWS_PER_ITEM]; // row k, word p at 4k + p
            float[] wf = new float[WIDE_WORDS * ROWS_PER_ITEM];
            float[] xv = new float[WIDE_WORDS];
            for (int i = 0; i < WIDE_WORDS * ROWS_PER_ITEM; i++) {
                next[i] = floatAt(w, rowStart(r0 + i / WIDE_WORDS, rows, cols), lane + i % WIDE_WORDS * lanes, cols);
            }
            for (int t0 = 0; t0 < cols; t0 += tileWords) {
                stageX(tile, x, lid, size, tileWords, t0, cols, batch, 1);
                ctx.localBarrier();
                for (int i = 0; i < WIDE_WORDS * ROWS_PER_ITEM; i++) {
                    wf[i] = next[i];
                    next[i] = floatAt(w, rowStart(r0 + i / WIDE_WORDS, rows, cols), t0 + tileWords + lane + i % WIDE_WORDS * lanes, cols);
                }
                for (int b = 0; b < batch; b++) {
                    for (int p = 0; p < WIDE_WORDS; p++) {
                        xv[p] = tile[b * tileWords + p * lanes + lane];
                    }
                    for (int k = 0; k < ROWS_PER_ITEM; k++) {
                        float sum = 0f;
                        for (int p = 0; p < WIDE_WORDS; p++) {
                            sum += wf[WIDE_WORDS * k + p] * xv[p];
                        }
                        acc[k * MAX_BATCH + b] += sum;
                    }
                }
                ctx.localBarrier(); // the tile is read before the next one overwrites it
            }
            for (int k = 0; k < ROWS_PER_ITEM; k++) {
                for (int b = 0; b < batch; b++) {
                    tile[lane * LANE_STRIDE + slot * batch + b] = acc[k * MAX_BATCH + b];
                }
                storeLaneSums(ctx, tile, y, block * TILED_ROWS + k, rows, batch);
            }
        }
    }

    /**
     * fp16 weights as {@link #matMulF16Pairs} reads them (words of two halves), tiled (see the
     * class comment): each item takes four words of each of its four rows per tile of L columns.
     * {@code cols} must be even.
     */
    public static void matMulF16PairsTiled(KernelContext ctx, IntArray w, FloatArray x, FloatArray y, int rows, int cols, int batch) {
        float[] tile = ctx.allocateFloatLocalArray(TILED_LOCAL_FLOATS);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int lanes = size / ROW_SLOTS;
        int slot = lid / lanes;
        int lane = lid - slot * lanes;
        int tileWords = WIDE_WORDS * lanes;
        int words = cols / 2;
        int groups = ctx.globalGroupSizeX / size;
        int rowBlocks = tiledGroups(rows);
        for (int block = ctx.groupIdx; block < rowBlocks; block += groups) {
            int r0 = block * TILED_ROWS + slot * ROWS_PER_ITEM;
            float[] acc = new float[ROWS_PER_ITEM * MAX_BATCH];
            int[] next = new int[WIDE_WORDS * ROWS_PER_ITEM]; // row k, word p at 4k + p
            float[] wf = new float[2 * WIDE_WORDS * ROWS_PER_ITEM]; // row k, word p, half h at 8k + 2p + h
            float[] xv = new float[2 * WIDE_WORDS]; // word p, half h at 2p + h
            for (int i = 0; i < WIDE_WORDS * ROWS_PER_ITEM; i++) {
                next[i] = wordAt(w, rowStart(r0 + i / WIDE_WORDS, rows, words), lane + i % WIDE_WORDS * lanes, words);
            }
            for (int t0 = 0; t0 < words; t0 += tileWords) {
                stageX(tile, x, lid, size, tileWords, 2 * t0, cols, batch, 2);
                ctx.localBarrier();
                for (int i = 0; i < WIDE_WORDS * ROWS_PER_ITEM; i++) {
                    wf[2 * i] = Float.float16ToFloat((short) next[i]);
                    wf[2 * i + 1] = Float.float16ToFloat((short) (next[i] >>> 16));
                    next[i] = wordAt(w, rowStart(r0 + i / WIDE_WORDS, rows, words), t0 + tileWords + lane + i % WIDE_WORDS * lanes, words);
                }
                for (int b = 0; b < batch; b++) {
                    for (int q = 0; q < 2 * WIDE_WORDS; q++) {
                        xv[q] = tile[b * 2 * tileWords + q % 2 * tileWords + q / 2 * lanes + lane];
                    }
                    for (int k = 0; k < ROWS_PER_ITEM; k++) {
                        float sum = 0f;
                        for (int q = 0; q < 2 * WIDE_WORDS; q++) {
                            sum += wf[2 * WIDE_WORDS * k + q] * xv[q];
                        }
                        acc[k * MAX_BATCH + b] += sum;
                    }
                }
                ctx.localBarrier();
            }
            for (int k = 0; k < ROWS_PER_ITEM; k++) {
                for (int b = 0; b < batch; b++) {
                    tile[lane * LANE_STRIDE + slot * batch + b] = acc[k * MAX_BATCH + b];
                }
                storeLaneSums(ctx, tile, y, block * TILED_ROWS + k, rows, batch);
            }
        }
    }

    /**
     * Q8_0 weights split as {@link #matMulQ8_0SplitWords} reads them, tiled (see the class
     * comment): each item takes two quant words (eight weights) of each of its four rows per
     * tile of L columns, with their block scales, and dequantises them once for all tokens.
     * {@code cols} a multiple of 32.
     */
    public static void matMulQ8_0SplitWordsTiled(KernelContext ctx, IntArray quants, HalfArray scales, FloatArray x, FloatArray y,
                                                 int rows, int cols, int batch) {
        float[] tile = ctx.allocateFloatLocalArray(TILED_LOCAL_FLOATS);
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        int lanes = size / ROW_SLOTS;
        int slot = lid / lanes;
        int lane = lid - slot * lanes;
        int tileWords = 2 * lanes;
        int words = cols / 4;
        int blocks = cols / MatVec.Q8_0_BLOCK;
        int groups = ctx.globalGroupSizeX / size;
        int rowBlocks = tiledGroups(rows);
        for (int block = ctx.groupIdx; block < rowBlocks; block += groups) {
            int r0 = block * TILED_ROWS + slot * ROWS_PER_ITEM;
            float[] acc = new float[ROWS_PER_ITEM * MAX_BATCH];
            int[] next = new int[2 * ROWS_PER_ITEM]; // row k, word p at 2k + p
            float[] nextScale = new float[2 * ROWS_PER_ITEM];
            float[] wf = new float[8 * ROWS_PER_ITEM]; // row k, word p, quant h at 8k + 4p + h
            for (int i = 0; i < 2 * ROWS_PER_ITEM; i++) {
                int r = Math.min(r0 + i / 2, rows - 1);
                int j = lane + i % 2 * lanes;
                next[i] = wordAt(quants, (long) r * words, j, words);
                nextScale[i] = j < words ? scales.get((long) r * blocks + j / 8) : 0f;
            }
            for (int t0 = 0; t0 < words; t0 += tileWords) {
                stageX(tile, x, lid, size, tileWords, 4 * t0, cols, batch, 4);
                ctx.localBarrier();
                for (int i = 0; i < 2 * ROWS_PER_ITEM; i++) {
                    for (int h = 0; h < 4; h++) {
                        wf[4 * i + h] = nextScale[i] * (byte) (next[i] >> 8 * h);
                    }
                    int r = Math.min(r0 + i / 2, rows - 1);
                    int j = t0 + tileWords + lane + i % 2 * lanes;
                    next[i] = wordAt(quants, (long) r * words, j, words);
                    nextScale[i] = j < words ? scales.get((long) r * blocks + j / 8) : 0f;
                }
                for (int b = 0; b < batch; b++) {
                    int at = b * size + lane;
                    float x00 = tile[at];
                    float x01 = tile[at + tileWords];
                    float x02 = tile[at + 2 * tileWords];
                    float x03 = tile[at + 3 * tileWords];
                    float x10 = tile[at + lanes];
                    float x11 = tile[at + tileWords + lanes];
                    float x12 = tile[at + 2 * tileWords + lanes];
                    float x13 = tile[at + 3 * tileWords + lanes];
                    for (int k = 0; k < ROWS_PER_ITEM; k++) {
                        int q = 8 * k;
                        acc[k * MAX_BATCH + b] += wf[q] * x00 + wf[q + 1] * x01 + wf[q + 2] * x02 + wf[q + 3] * x03
                                + wf[q + 4] * x10 + wf[q + 5] * x11 + wf[q + 6] * x12 + wf[q + 7] * x13;
                    }
                }
                ctx.localBarrier();
            }
            for (int k = 0; k < ROWS_PER_ITEM; k++) {
                for (int b = 0; b < batch; b++) {
                    tile[lane * LANE_STRIDE + slot * batch + b] = acc[k * MAX_BATCH + b];
                }
                storeLaneSums(ctx, tile, y, block * TILED_ROWS + k, rows, batch);
            }
        }
    }

    /** Offset of row {@code min(row, rows - 1)} in a matrix of {@code width} words a row (rows past the end repeat the last, unstored). */
    static long rowStart(int row, int rows, int width) {
        return (long) Math.min(row, rows - 1) * width;
    }

    /** Word {@code j} of the row at {@code start}, or 0 past the row's {@code words}. */
    static int wordAt(IntArray w, long start, int j, int words) {
        return j < words ? w.get(start + j) : 0;
    }

    /** Weight {@code j} of the fp32 row at {@code start}, or 0 past the row's {@code cols}. */
    static float floatAt(FloatArray w, long start, int j, int cols) {
        return j < cols ? w.get(start + j) : 0f;
    }

    /**
     * Stages {@code x[b][col0 .. col0 + m * tileWords)} (m = {@code perWord} columns a weight
     * word; {@code m * tileWords} a multiple of L, at most L) for every token b in {@code tile}:
     * token b's part h of word i of the tile at {@code b * m * tileWords + h * tileWords + i}, so
     * the lanes of a slot reading part h of neighbouring words read consecutive floats. Item
     * {@code lid} loads column {@code lid % (m tileWords)} of every {@code L / (m tileWords)}-th
     * token (neighbouring items, neighbouring columns); columns past {@code cols} stage 0.
     */
    static void stageX(float[] tile, FloatArray x, int lid, int size, int tileWords, int col0, int cols, int batch, int perWord) {
        int tileCols = perWord * tileWords;
        int c = lid % tileCols;
        int at = c % perWord * tileWords + c / perWord;
        int col = col0 + c;
        for (int b = lid / tileCols; b < batch; b += size / tileCols) {
            tile[b * tileCols + at] = col < cols ? x.get((long) b * cols + col) : 0f;
        }
    }

    /**
     * The tiled kernels' reduction for one row of each slot: item (slot s, lane l) has written
     * its sum for token b of row {@code rowBase + 4s} to {@code red[l * LANE_STRIDE + s * batch + b]};
     * one item per (slot, token) adds the lanes in order and stores the row. Starts with a
     * barrier (the writes) and ends with one (red is free again); every item must call it.
     */
    static void storeLaneSums(KernelContext ctx, float[] red, FloatArray y, int rowBase, int rows, int batch) {
        int size = ctx.localGroupSizeX;
        int lanes = size / ROW_SLOTS;
        ctx.localBarrier();
        for (int i = ctx.localIdx; i < ROW_SLOTS * batch; i += size) {
            int s = i / batch;
            float sum = 0f;
            for (int l = 0; l < lanes; l++) {
                sum += red[l * LANE_STRIDE + i];
            }
            int row = rowBase + s * ROWS_PER_ITEM;
            if (row < rows) {
                y.set((long) (i - s * batch) * rows + row, sum);
            }
        }
        ctx.localBarrier();
    }

    /**
     * {@code batch} group sums at once: item {@code lid} has written token b's partial to
     * {@code scratch[b * L + lid]}; afterwards {@code scratch[b * L]} holds token b's sum. Each
     * level of the tree spreads its {@code batch * stride} additions over all items, so the
     * group does the work of one tree per token with the barriers of a single tree. Starts and
     * ends with a barrier; every item of the group must call it.
     */
    static void sumEachToken(KernelContext ctx, float[] scratch, int batch) {
        int lid = ctx.localIdx;
        int size = ctx.localGroupSizeX;
        ctx.localBarrier();
        for (int stride = size / 2; stride > 0; stride /= 2) {
            for (int i = lid; i < batch * stride; i += size) {
                int b = i / stride;
                int at = b * size + i - b * stride;
                scratch[at] += scratch[at + stride];
            }
            ctx.localBarrier();
        }
    }
}
