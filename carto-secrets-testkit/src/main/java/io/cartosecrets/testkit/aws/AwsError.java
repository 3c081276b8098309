package io.cartosecrets.testkit.aws;

/** An error answer in the AWS JSON protocol: HTTP status, error type, message. */
final class AwsError extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final String type;

  private AwsError(int status, String type, String message) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
  }

  static AwsError of(int status, String type, String message) {
    return new AwsError(status, type, message);
  }

  int status() {
    return status;
  }

  String type() {
    return type;
  }
}
