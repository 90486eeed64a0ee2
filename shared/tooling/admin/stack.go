package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
)

// Outputs of the template that the CLI reads from a deployed stack.
const (
	OutputRevocationTable = "RevocationTableName"
	OutputUsersTable      = "UsersTableName"
	OutputSecretARN       = "JwtSecretArn"
	// OutputPublicKeysTable is optional (stacks from before key pairs lack
	// it): the keys commands publish the public set there.
	OutputPublicKeysTable = "PublicKeysTableName"
)

// EnvStack names the stack when --stack is not given.
const EnvStack = "JWTGATE_STACK"

// Stack errors.
var (
	// ErrStackNotFound means CloudFormation has no such stack in the
	// configured account and region.
	ErrStackNotFound = errors.New("admin: stack not found")
	// ErrNoOutput means the stack lacks an output the CLI needs (not a
	// jwtgate stack, or one still being created).
	ErrNoOutput = errors.New("admin: stack output missing")
)

// StackClient is what --stack needs of CloudFormation; *cloudformation.Client has it.
type StackClient interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// stack is a deployed jwtgate stack: the names its functions use.
type stack struct {
	name                             string
	revocationTable, usersTable, arn string
	// publicKeysTable is where the verifiers read the public keys; empty
	// for a stack without that output.
	publicKeysTable string
}

// describeStack reads the stack's outputs: the table names CloudFormation
// generated and the signing secret's ARN.
func describeStack(ctx context.Context, cf StackClient, name string) (stack, error) {
	out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist") {
		return stack{}, fmt.Errorf("%w: %s", ErrStackNotFound, name)
	}
	if err != nil {
		return stack{}, fmt.Errorf("describe stack %s: %w", name, err)
	}
	if len(out.Stacks) != 1 {
		return stack{}, fmt.Errorf("%w: %s", ErrStackNotFound, name)
	}
	outputs := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	s := stack{name: name, revocationTable: outputs[OutputRevocationTable], usersTable: outputs[OutputUsersTable], arn: outputs[OutputSecretARN],
		publicKeysTable: outputs[OutputPublicKeysTable]}
	for key, v := range map[string]string{OutputRevocationTable: s.revocationTable, OutputUsersTable: s.usersTable, OutputSecretARN: s.arn} {
		if v == "" {
			return stack{}, fmt.Errorf("%w: stack %s (status %s) has no output %s", ErrNoOutput, name, out.Stacks[0].StackStatus, key)
		}
	}
	return s, nil
}
