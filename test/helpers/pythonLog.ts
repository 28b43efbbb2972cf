/**
 * TensorFlow writes start-up notices to stderr before its logging is set up, so
 * TF_CPP_MIN_LOG_LEVEL does not hide them: the oneDNN notice ("oneDNN custom operations are on…")
 * and the CPU-instructions notice. They are filtered here rather than turned off, because
 * TF_ENABLE_ONEDNN_OPTS=0 would change the numerics the Keras comparisons measure.
 */

const NOTICES = [
  /^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$/,
  /^[IW]\d{4} [\d:.]+\s+\d+ port\.cc:\d+\] oneDNN custom operations are on\b/,
  /^[IW]\d{4} [\d:.]+\s+\d+ cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized\b/,
  /^To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\.$/,
];

/** Python's stderr without TensorFlow's start-up notices: what a failure message should show. */
export function pythonStderr(stderr: string | null | undefined): string {
  return (stderr ?? '')
    .split('\n')
    .filter((line) => !NOTICES.some((re) => re.test(line.trimEnd())))
    .join('\n')
    .trim();
}

/** The last meaningful stderr line (an exception's message), or ''. */
export function lastPythonError(stderr: string | null | undefined): string {
  return pythonStderr(stderr).split('\n').pop() ?? '';
}
