package gateway

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/uuid"
)

// InProcess invokes functions in this process, through the same JSON
// encoding the Lambda runtime applies. As on Lambda, an instance of a
// function serves one invocation at a time: aws-lambda-go's Handler.Invoke
// returns bytes in a buffer that the instance reuses for its next invocation
// (aws/aws-lambda-go#639), so concurrent requests would read each other's
// answers. Each invocation takes an instance of its own from a pool and
// copies the answer before giving the instance back.
type InProcess struct {
	functions map[string]*sync.Pool // of lambda.Handler
}

// NewInProcess returns an invoker of functions, each given by its handler
// as lambda.Start takes it (handlers.Set.REST, Set.V2).
func NewInProcess(functions map[string]any) *InProcess {
	p := &InProcess{functions: make(map[string]*sync.Pool, len(functions))}
	for name, fn := range functions {
		p.functions[name] = &sync.Pool{New: func() any { return lambda.NewHandler(fn) }}
	}
	return p
}

// Invoke runs function with payload.
func (p *InProcess) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	instances, ok := p.functions[function]
	if !ok {
		return nil, fmt.Errorf("gateway: no function %q", function)
	}
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       uuid.NewString(),
		InvokedFunctionArn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, function),
	})
	h := instances.Get().(lambda.Handler)
	out, err := h.Invoke(ctx, payload)
	out = bytes.Clone(out) // before the instance, and its buffer, serve anyone else
	instances.Put(h)
	if err != nil {
		return nil, &FunctionError{Message: err.Error()}
	}
	return out, nil
}
