/// The long help of `dpo-train`, which its man page says at more length.
let dpoTrainDiscussion = """
        Reads pairs as JSONL ("prompt", "chosen", "rejected", TRL's DPO format, as pair writes \
        them) from the files given or standard input, and trains --model on them against the frozen \
        reference --ref (by default the same checkpoint: the paper's reference of iteration t+1 is \
        M(t), which is also its starting point). Per pair, with log-probs summed over completion \
        tokens only (EOS included, the prompt never scored) and |yw| the winner's token count:

          irpo  -log sigmoid(beta*(dw - dl)) + alpha * (-log p(yw|x)) / |yw|
          dpo   the same with alpha = 0 (the paper's ablation)
          dpop  -log sigmoid(beta*(dw - dl) - beta*lambda*max(0, -dw)) (DPO-Positive)
          ipo   (dw/|yw| - dl/|yl| - 1/(2*beta))^2 (per-token log-ratios, as TRL)
          sft   -log p(yw|x) / |yw|; also reads "prompt" + "completion" records

        where dw = log p(yw|x) - log pref(yw|x) and dl likewise for the loser; the step's loss is \
        the mean over its pairs. The reference log-probs are computed once before training and \
        the reference weights released; with --ref equal to --model no second copy is loaded. \
        Each pair's prompt is computed once, both completions attending to it.

        The whole input is read and tokenized before training (it is shuffled each epoch). Memory: \
        16 bytes a parameter (weights, gradients, two AdamW moments) plus one micro-batch's \
        activations: about 4 x (layers + 1) x (4 hidden + 2 q_width + 2 kv_width + 3 ffn) bytes a \
        token, 4 x layers x heads x T^2 for each packed sequence of T tokens (a pair's prompt with \
        both completions is one), and at most 16 MB of logits whatever the vocabulary; plus the data, and a separate --ref's weights while the \
        reference log-probs are computed. --progress prints this for the largest micro-batch. \
        The prompt is cut from the left to fit --max-length; a pair whose completion alone does \
        not fit is dropped and counted. A line that is not JSON or lacks a field is reported as \
        "dpo-train: FILE:LINE: reason" and nothing is trained, unless --skip-bad.

        The final model is written atomically to --out (a directory, or a .tar/.tar.gz bundle). \
        --save-every writes a resumable state (weights, AdamW moments, step; the data order is a \
        function of --seed and the epoch) to OUT.state, a checkpoint directory beside --out; \
        --resume continues from it and ends with the same weights as an uninterrupted run with \
        the same flags. A non-finite loss or gradient stops the run with status 1, naming the step; \
        the last state written stays intact.

        Built with IRPO_MPI=1 and started by mpirun (or srun), the ranks train data-parallel: every \
        rank reads the whole input (give it as files: mpirun feeds standard input to rank 0 only), \
        takes its contiguous share of each step's pairs, and the gradients, loss and metrics are \
        summed across the ranks before clipping, so each rank takes the single-process step. The \
        reference log-probs are split between the ranks the same way. Rank 0 alone writes --out, \
        OUT.state and --metrics and shows progress; --threads 0 divides a machine's cores among \
        its ranks. If a rank fails or dies the whole run stops; --resume continues from the last \
        OUT.state.
        """
