package org.lte4j.model.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * lte4j's training checkpoint: fp32 weights, the optimiser's moments and the step, so that a run
 * resumes exactly. (Finished models are exported to GGUF; this format is for resuming.) Written
 * to a temporary file and renamed, so an interrupted save never corrupts the previous one.
 */
public final class Checkpoint {
    private static final long MAGIC = 0x4C5445344A434B50L; // "LTE4JCKP"
    private static final int VERSION = 1;

    /** What a checkpoint holds. {@code adam} may be null (weights only). */
    public record State(LlamaWeights weights, String tokenizer, long step, AdamW adam, float[][] moments1,
                        float[][] moments2) {
    }

    private Checkpoint() {
    }

    public static void save(Path path, LlamaWeights w, String tokenizer, long step, AdamW adam) {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try {
            if (path.getParent() != null) Files.createDirectories(path.getParent());
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20))) {
                out.writeLong(MAGIC);
                out.writeInt(VERSION);
                LlamaConfig c = w.config();
                out.writeInt(c.vocabSize());
                out.writeInt(c.dim());
                out.writeInt(c.layers());
                out.writeInt(c.heads());
                out.writeInt(c.kvHeads());
                out.writeInt(c.ffnDim());
                out.writeInt(c.contextLength());
                out.writeFloat(c.ropeTheta());
                out.writeFloat(c.normEps());
                out.writeBoolean(c.tiedEmbeddings());
                out.writeInt(w.lte() == null ? 0 : w.lte().expertSize());
                out.writeFloat(w.lte() == null ? 0f : w.lte().threshold());
                out.writeUTF(tokenizer);
                out.writeLong(step);
                out.writeBoolean(adam != null);
                List<Parameter> ps = w.all();
                out.writeInt(ps.size());
                for (int i = 0; i < ps.size(); i++) {
                    Parameter p = ps.get(i);
                    out.writeUTF(p.name());
                    out.writeInt(p.rows());
                    out.writeInt(p.cols());
                    writeFloats(out, p.data());
                    if (adam != null) {
                        writeFloats(out, adam.firstMoment(i));
                        writeFloats(out, adam.secondMoment(i));
                    }
                }
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write checkpoint " + path + ": " + e.getMessage(), e);
        }
    }

    public static boolean isCheckpoint(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            DataInputStream d = new DataInputStream(in);
            return d.readLong() == MAGIC;
        } catch (IOException e) {
            return false;
        }
    }

    public static State load(Path path) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(path), 1 << 20))) {
            if (in.readLong() != MAGIC) throw new IllegalArgumentException(path + " is not an lte4j checkpoint");
            int version = in.readInt();
            if (version != VERSION) throw new IllegalArgumentException(path + ": unsupported checkpoint version " + version);
            LlamaConfig c = new LlamaConfig(in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt(),
                    in.readInt(), in.readInt(), in.readFloat(), in.readFloat(), in.readBoolean());
            int expertSize = in.readInt();
            float threshold = in.readFloat();
            String tokenizer = in.readUTF();
            long step = in.readLong();
            boolean hasAdam = in.readBoolean();
            LlamaWeights w = LlamaWeights.zeros(c);
            if (expertSize > 0) w.setLte(new LteSpec(expertSize, threshold));
            int count = in.readInt();
            float[][] m1 = hasAdam ? new float[count][] : null, m2 = hasAdam ? new float[count][] : null;
            List<Parameter> ps = w.all();
            if (count != ps.size()) {
                throw new IllegalArgumentException(path + ": holds " + count + " tensors, config implies " + ps.size());
            }
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                Parameter p = w.get(name);
                int rows = in.readInt(), cols = in.readInt();
                if (rows != p.rows() || cols != p.cols()) {
                    throw new IllegalArgumentException(path + ": tensor " + name + " is " + rows + "x" + cols
                            + ", expected " + p.rows() + "x" + p.cols());
                }
                readFloats(in, p.data());
                if (hasAdam) {
                    int idx = ps.indexOf(p);
                    m1[idx] = new float[p.data().length];
                    m2[idx] = new float[p.data().length];
                    readFloats(in, m1[idx]);
                    readFloats(in, m2[idx]);
                }
            }
            return new State(w, tokenizer, step, null, m1, m2);
        } catch (EOFException e) {
            throw new IllegalArgumentException(path + ": checkpoint is truncated", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read checkpoint " + path + ": " + e.getMessage(), e);
        }
    }

    /** Copies saved moments into a freshly built optimiser over the same parameter list. */
    public static void restore(State s, AdamW adam) {
        if (s.moments1() == null) return;
        for (int i = 0; i < s.moments1().length; i++) {
            System.arraycopy(s.moments1()[i], 0, adam.firstMoment(i), 0, s.moments1()[i].length);
            System.arraycopy(s.moments2()[i], 0, adam.secondMoment(i), 0, s.moments2()[i].length);
        }
        adam.setStepCount(s.step());
    }

    private static void writeFloats(DataOutputStream out, float[] a) throws IOException {
        byte[] buf = new byte[a.length * 4];
        java.nio.ByteBuffer.wrap(buf).asFloatBuffer().put(a);
        out.write(buf);
    }

    private static void readFloats(DataInputStream in, float[] a) throws IOException {
        byte[] buf = new byte[a.length * 4];
        in.readFully(buf);
        java.nio.ByteBuffer.wrap(buf).asFloatBuffer().get(a);
    }
}
