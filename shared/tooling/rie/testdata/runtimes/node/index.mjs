// Fixtures for the Node.js runtime loop's tests (runtimes_test.go).
export const echo = async (event, context) => ({
  event,
  functionName: context.functionName,
  memoryLimitInMB: context.memoryLimitInMB,
  awsRequestId: context.awsRequestId,
  remainingMs: context.getRemainingTimeInMillis(),
  handler: process.env._HANDLER,
  templateVar: process.env.FROM_TEMPLATE,
});

export const fail = async () => {
  throw new TypeError("boom");
};

export const callback = (event, context, cb) => {
  setTimeout(() => cb(null, { called: "back" }), 5);
};
