// Shapes in this folder are written with one legend:
//   N   tokens of a packed batch (all sequences end to end, no padding)
//   T   tokens of one attention block (one sequence, or one prompt with its completions)
//   S   scored tokens (those whose log-probability the caller asked for)
//   C   hidden size             F   intermediate (MLP) size        V   vocabulary
//   L   layers                  NH  query heads      NKV key/value heads      HS  head size
//   QW = NH·HS,  KW = NKV·HS,  QKV = QW + 2·KW (q, k, v side by side in one row)
