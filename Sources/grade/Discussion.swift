/// The long help of `grade`, which its man page says at more length.
let gradeDiscussion = """
        Reads JSONL records holding a model's "completion" and the problem's gold answer (by \
        default "answer" for gsm8k and regex, "solution" then "answer" for math, "answerKey" then \
        "answer" for arc). Writes each record unchanged plus "pred" (the extracted final answer, \
        null when none was found), "gold" (the extracted gold answer) and "correct" (true or \
        false). The same extraction and normalisation apply to prediction and gold.

        gsm8k: the first number after the last "Final answer:", else after the last "####", else \
        after the last "The answer is"; compared as numbers (commas, $, %, units, a trailing \
        period ignored; 18 = 18.0; -5 and 3/4 understood). math: the last \\boxed{...}, else the \
        text after "Final answer:", normalised as the MATH benchmark's is_equiv does. arc: the \
        option letter after "Final answer:", (B) or B, labels 1-5 read as A-E. regex: the capture \
        group of the last match of --pattern, compared as trimmed text.

        With --reward-model, each record also gets "reward", a number: the score of an HF \
        LlamaForSequenceClassification with one label over the ids dpo-train scores for the \
        record, [BOS if the tokenizer's post-processor adds one] + encode(prompt) + \
        encode(completion) + [EOS], where the prompt is the record's "prompt" (else --template \
        filled from its question), each text is encoded alone without special tokens, and EOS is \
        the reward model's first eos_token_id. The reward is score.weight times the final-normed \
        hidden state of the last token that is not pad_token_id (the last token when the config \
        names none), as transformers pools. Each record runs alone, so its reward is the same at \
        any --batch and --threads. Memory: the reward model once (4 bytes a parameter), a KV \
        cache of 8 x layers x kv_width x L bytes for each of --batch records, and working \
        buffers for max(1024, L) tokens, where L is the longest record so far rounded up to 32 \
        tokens.

        A bad line (invalid JSON, a missing field, a gold field with no answer, a record longer \
        than the reward model's context) is reported as "grade: FILE:LINE: reason", not written, \
        and makes the exit status 1. Memory holds one line (--batch lines with --reward-model); \
        output is in input order. At the end a summary goes to standard error: records, correct, \
        no answer found, and found only by the --flexible fallback (with how many of those were \
        correct), so the share of the reward the fallback decides is visible.
        """
