package org.lte4j.model.tokenizer;

import java.util.List;
import java.util.OptionalInt;

/** What every tokenizer kind shares: the vocabulary, special-token handling, decoding. */
abstract class AbstractTokenizer implements Tokenizer, StreamingDecoder.PieceDecoder {
    protected final Vocabulary vocab;
    private final SpecialTokenSplitter splitter;

    AbstractTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        this.splitter = new SpecialTokenSplitter(vocab);
    }

    /**
     * Encodes one run of ordinary text (no special tokens inside).
     *
     * @param afterSpecial true at the start of the input or right after a special token
     */
    abstract void encodeText(String text, boolean afterSpecial, IntList out);

    @Override
    public final int[] encode(String text, EncodeOptions options) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        if (options.addBos() && vocab.bos() >= 0) {
            out.add(vocab.bos());
        }
        boolean afterSpecial = true;
        for (SpecialTokenSplitter.Fragment f : splitter.split(text, options.parseSpecialTokens())) {
            if (f.isToken()) {
                out.add(f.id());
                afterSpecial = true;
            } else {
                encodeText(f.text(), afterSpecial, out);
                afterSpecial = false;
            }
        }
        return out.toArray();
    }

    @Override
    public StreamingDecoder streamingDecoder(SpecialTokenRendering rendering) {
        return new StreamingDecoder(vocab, this, rendering);
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public String tokenText(int id) {
        return vocab.text(id);
    }

    @Override
    public TokenType tokenType(int id) {
        return vocab.type(id);
    }

    @Override
    public OptionalInt bosId() {
        return Vocabulary.optional(vocab.bos());
    }

    @Override
    public OptionalInt eosId() {
        return Vocabulary.optional(vocab.eos());
    }

    @Override
    public int[] endOfGenerationIds() {
        return vocab.endOfGenerationIds();
    }

    @Override
    public boolean addsBosByDefault() {
        return vocab.addBos();
    }

    @Override
    public OptionalInt specialTokenId(String text) {
        return vocab.specialId(text);
    }

    @Override
    public List<String> specialTokens() {
        return vocab.specialTexts();
    }
}
