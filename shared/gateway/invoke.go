package gateway

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/uuid"
)

// InProcess invokes lambda.Handlers in this process, through the same JSON
// encoding the Lambda runtime applies.
type InProcess map[string]lambda.Handler

// Invoke runs function with payload.
func (p InProcess) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	h, ok := p[function]
	if !ok {
		return nil, fmt.Errorf("gateway: no function %q", function)
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       uuid.NewString(),
		InvokedFunctionArn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, function),
	})
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		return nil, &FunctionError{Message: err.Error()}
	}
	return out, nil
}
