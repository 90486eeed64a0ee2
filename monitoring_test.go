package jwtgate_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/metrics"
)

// alarm is the part of an AWS::CloudWatch::Alarm the test reads.
type alarm struct {
	Namespace    string
	MetricName   string
	Dimensions   []struct{ Name, Value any }
	Metrics      []struct{ Expression string }
	AlarmActions any
}

// TestTemplateMonitoring checks the alarms, the optional SNS topic, the dashboard and the
// Tracing parameter on the translated templates, and that every jwtgate metric they name is
// one the code writes, under the Function dimension of a function that writes it.
func TestTemplateMonitoring(t *testing.T) {
	known := metrics.Names()
	wantAlarms := map[string]string{ // alarm -> the jwtgate metric it watches ("" for AWS's own)
		"TheftDetectedAlarm":     metrics.TheftDetected,
		"AuthorizerFailedAlarm":  metrics.AuthorizerFailed,
		"LockoutSpikeAlarm":      metrics.LoginLockedOut,
		"FunctionErrorsAlarm":    "",
		"FunctionThrottlesAlarm": "",
		"DynamoDBThrottlesAlarm": "",
	}
	// Which function writes each alarmed metric (shared/runtime/handlers' outcome mapping
	// and the authorizer; TestMetricsOfASession shows them written).
	writer := map[string]string{
		metrics.TheftDetected:    handlers.FunctionName(handlers.RefreshFunction),
		metrics.AuthorizerFailed: handlers.FunctionName(handlers.AuthorizerFunction),
		metrics.LoginLockedOut:   handlers.FunctionName(handlers.LoginFunction),
	}
	for _, file := range []string{restTemplate, httpTemplate} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			cfn := translate(t, file)
			alarms := cfn.ofType("AWS::CloudWatch::Alarm")
			if got, want := sortedKeys(alarms), sortedKeys(wantAlarms); !slices.Equal(got, want) {
				t.Errorf("alarms = %v, want %v", got, want)
			}
			for id, r := range alarms {
				var a alarm
				decode(t, r.Properties, &a)
				if got := describe(a.AlarmActions); !strings.Contains(got, "HasAlarmEmail") || !strings.Contains(got, "AlarmTopic") {
					t.Errorf("%s: AlarmActions %s, want the topic when HasAlarmEmail", id, got)
				}
				metric := wantAlarms[id]
				if metric == "" {
					if len(a.Metrics) == 0 || !strings.HasPrefix(a.Metrics[0].Expression, "SUM(METRICS(") {
						t.Errorf("%s: want a SUM over the functions' or tables' metrics, got %+v", id, a.Metrics)
					}
					continue
				}
				if a.Namespace != metrics.Namespace || a.MetricName != metric || !slices.Contains(known, a.MetricName) {
					t.Errorf("%s: %s/%s, want %s/%s", id, a.Namespace, a.MetricName, metrics.Namespace, metric)
				}
				dims := map[string]string{}
				for _, d := range a.Dimensions {
					dims[describe(d.Name)] = describe(d.Value)
				}
				if dims["Stack"] != "!Ref AWS::StackName" || dims["Function"] != writer[metric] || len(dims) != 2 {
					t.Errorf("%s: dimensions %v, want Stack=!Ref AWS::StackName Function=%s", id, dims, writer[metric])
				}
			}
			topics := cfn.ofType("AWS::SNS::Topic")
			if len(topics) != 1 || topics["AlarmTopic"].Condition != "HasAlarmEmail" {
				t.Errorf("SNS topics %v, want AlarmTopic under HasAlarmEmail", topics)
			}
			dash := cfn.ofType("AWS::CloudWatch::Dashboard")
			if len(dash) != 1 {
				t.Fatalf("dashboards: %v", dash)
			}
			var props struct{ DashboardBody any }
			decode(t, dash["Dashboard"].Properties, &props)
			body := describe(props.DashboardBody)
			named := regexp.MustCompile(`\\"jwtgate\\", \\"([A-Za-z]+)\\"`).FindAllStringSubmatch(body, -1)
			if len(named) < 10 {
				t.Errorf("dashboard names %d jwtgate metrics, want every one: %s", len(named), body)
			}
			shown := map[string]bool{}
			for _, m := range named {
				shown[m[1]] = true
				if !slices.Contains(known, m[1]) {
					t.Errorf("dashboard shows %s, which the code never writes", m[1])
				}
			}
			for _, m := range known {
				if !shown[m] {
					t.Errorf("dashboard does not show %s", m)
				}
			}
			for id, fn := range cfn.ofType("AWS::Lambda::Function") {
				var p struct{ TracingConfig struct{ Mode any } }
				decode(t, fn.Properties, &p)
				if got := describe(p.TracingConfig.Mode); got != "!Ref Tracing" {
					t.Errorf("%s: tracing %s, want !Ref Tracing", id, got)
				}
			}
		})
	}
}
