package cfn

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/applicationautoscaling"
	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
	"github.com/awslabs/goformation/v7/cloudformation/ec2"
	"github.com/awslabs/goformation/v7/cloudformation/ecs"
	"github.com/awslabs/goformation/v7/cloudformation/iam"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/awslabs/goformation/v7/cloudformation/ses"

	"github.com/quarry-dev/quarry/infra"
	"github.com/quarry-dev/quarry/infra/ecstask"
)

// roleNeeds are the AWS calls a role's stage makes beyond its own queue
// and DLQ; a role missing here (a queue some other program consumes) needs
// nothing more.
type roleNeeds struct {
	publishJobs bool     // publishes child jobs to the jobs topic
	blobActions []string // S3 actions on the blob bucket's objects
	sendMail    bool     // sends through SES with the configuration set
}

var needsOfRole = map[string]roleNeeds{
	infra.RoleFetch:   {publishJobs: true, blobActions: []string{"s3:GetObject", "s3:PutObject"}},
	infra.RoleExtract: {publishJobs: true, blobActions: []string{"s3:GetObject", "s3:PutObject"}},
	infra.RoleNotify:  {blobActions: []string{"s3:GetObject"}, sendMail: true},
}

// serviceName is the ECS service of a role.
func serviceName(role string) string { return "quarry-" + role }

func renderWorkers(top infra.Topology, env Environment, o Options) (*cloudformation.Template, error) {
	t := cloudformation.NewTemplate()
	t.Description = fmt.Sprintf("Quarry %s: ECS cluster, one autoscaled Fargate service per role", env.Name)
	t.Parameters["Image"] = cloudformation.Parameter{Type: "String", Description: ptr("The quarry container image (make image), e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/quarry:v1")}
	// Required: the claims store is a durable Redis on one primary (AOF on,
	// maxmemory-policy noeviction). The stack creates none: MemoryDB runs
	// in cluster mode, which refuses the effect scripts (they write an
	// index and read the epoch record beside a job's keys, in other hash
	// slots), and a cache node without persistence would lose claims.
	t.Parameters["RedisURL"] = cloudformation.Parameter{
		Type: "String", NoEcho: ptr(true), AllowedPattern: ptr("^rediss?://.+"),
		Description: ptr("The durable Redis for claims, on one primary (AOF on, maxmemory-policy noeviction; quarry redis check says whether it is fit), e.g. rediss://user:pass@host:6379"),
	}
	t.Parameters["BlobBucket"] = cloudformation.Parameter{Type: "String", Default: top.BlobBucket, Description: ptr("S3 bucket of fetched PDFs and extracted tables")}
	t.Parameters["NotifyFrom"] = cloudformation.Parameter{Type: "String", Default: "", Description: ptr("From address of result mails (QUARRY_NOTIFY_FROM)")}
	t.Parameters["VpcId"] = cloudformation.Parameter{Type: "AWS::EC2::VPC::Id"}
	t.Parameters["Subnets"] = cloudformation.Parameter{Type: "List<AWS::EC2::Subnet::Id>", Description: ptr("Subnets of the tasks (two AZs or more)")}
	t.Parameters["AssignPublicIp"] = cloudformation.Parameter{Type: "String", Default: "DISABLED", AllowedValues: []any{"ENABLED", "DISABLED"},
		Description: ptr("ENABLED for public subnets without a NAT gateway")}

	lg := logGroup(env)
	t.Resources["LogGroup"] = &logs.LogGroup{LogGroupName: ptr(lg), RetentionInDays: ptr(env.LogRetentionDays)}
	t.Resources["Cluster"] = &ecs.Cluster{
		ClusterName: ptr(env.Cluster),
		// RunningTaskCount, the denominator of backlog per task, exists
		// only with Container Insights.
		ClusterSettings:   []ecs.Cluster_ClusterSettings{{Name: ptr("containerInsights"), Value: ptr("enabled")}},
		CapacityProviders: []string{"FARGATE", "FARGATE_SPOT"},
	}
	t.Resources["TaskSecurityGroup"] = &ec2.SecurityGroup{
		GroupDescription: "Quarry worker tasks (outbound only)", VpcId: ptr(cloudformation.Ref("VpcId")),
	}

	t.Resources["ExecutionRole"] = &iam.Role{
		AssumeRolePolicyDocument: jsonValue(assumeECSTasks()),
		Policies: []iam.Role_Policy{{PolicyName: "pull-and-log", PolicyDocument: jsonValue(policyDocument{Version: "2012-10-17", Statement: []statement{
			allow("Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, cloudformation.Sub(fmt.Sprintf("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:%s:*", lg))),
			// GetAuthorizationToken has no resource-level permissions.
			allow("RegistryLogin", []string{"ecr:GetAuthorizationToken"}, "*"),
			allow("Pull", []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}, arn("ecr", "repository/*")),
		}})}},
	}

	for _, q := range top.Queues {
		if !slices.Contains(o.WorkerRoles, q.Role) {
			continue
		}
		if err := renderService(t, top, env, q); err != nil {
			return nil, err
		}
	}
	t.Outputs["ClusterName"] = cloudformation.Output{Value: cloudformation.Ref("Cluster")}
	return t, nil
}

func assumeECSTasks() policyDocument {
	return policyDocument{Version: "2012-10-17", Statement: []statement{{
		Effect: "Allow", Principal: map[string]any{"Service": "ecs-tasks.amazonaws.com"}, Action: []string{"sts:AssumeRole"},
		Condition: map[string]any{"ArnLike": map[string]any{"aws:SourceArn": cloudformation.Sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:*")}},
	}}}
}

func redisURL() string { return cloudformation.Ref("RedisURL") }

func renderService(t *cloudformation.Template, top infra.Topology, env Environment, q infra.Queue) error {
	s := env.role(q.Role)
	id := logicalID(q.Role)
	stop, err := ecstask.StopTimeout(s.SoftStop, true)
	if err != nil {
		return fmt.Errorf("environment %s, role %s: %w", env.Name, q.Role, err)
	}
	t.Resources[id+"TaskRole"] = &iam.Role{
		AssumeRolePolicyDocument: jsonValue(assumeECSTasks()),
		Policies:                 []iam.Role_Policy{{PolicyName: "quarry-" + q.Role, PolicyDocument: jsonValue(taskPolicy(top, env, q))}},
	}
	conc := s.Concurrency
	if conc == 0 {
		conc = q.Concurrency
	}
	command := []string{"worker", "--roles", q.Role, "--concurrency", strconv.Itoa(conc),
		"--soft-stop", s.SoftStop.String(), "--metrics-addr", ":9090", "--scaling-metrics", "emf"}
	envVars := []ecs.TaskDefinition_KeyValuePair{
		{Name: ptr("QUARRY_REDIS_URL"), Value: ptr(redisURL())},
		{Name: ptr("QUARRY_BLOB_BUCKET"), Value: ptr(cloudformation.Ref("BlobBucket"))},
		{Name: ptr("QUARRY_LOG_FORMAT"), Value: ptr("json")},
	}
	if needsOfRole[q.Role].sendMail {
		envVars = append(envVars, ecs.TaskDefinition_KeyValuePair{Name: ptr("QUARRY_NOTIFY_FROM"), Value: ptr(cloudformation.Ref("NotifyFrom"))})
	}
	t.Resources[id+"TaskDefinition"] = &ecs.TaskDefinition{
		Family:                  ptr("quarry-" + env.Name + "-" + q.Role),
		Cpu:                     ptr(strconv.Itoa(s.CPU)),
		Memory:                  ptr(strconv.Itoa(s.Memory)),
		NetworkMode:             ptr("awsvpc"),
		RequiresCompatibilities: []string{"FARGATE"},
		// Fargate Spot runs x86_64 only.
		RuntimePlatform:  &ecs.TaskDefinition_RuntimePlatform{CpuArchitecture: ptr("X86_64"), OperatingSystemFamily: ptr("LINUX")},
		ExecutionRoleArn: ptr(cloudformation.GetAtt("ExecutionRole", "Arn")),
		TaskRoleArn:      ptr(cloudformation.GetAtt(id+"TaskRole", "Arn")),
		ContainerDefinitions: []ecs.TaskDefinition_ContainerDefinition{{
			Name: "quarry", Image: cloudformation.Ref("Image"), Essential: ptr(true),
			Command: command, Environment: envVars,
			// SIGTERM, then the soft-stop, then the give-back, then SIGKILL.
			StopTimeout:            ptr(stop),
			ReadonlyRootFilesystem: ptr(true),
			LogConfiguration: &ecs.TaskDefinition_LogConfiguration{LogDriver: "awslogs", Options: map[string]string{
				"awslogs-group": logGroup(env), "awslogs-region": cloudformation.Ref("AWS::Region"), "awslogs-stream-prefix": q.Role,
			}},
		}},
	}
	strategy := []ecs.Service_CapacityProviderStrategyItem{{CapacityProvider: ptr("FARGATE"), Weight: ptr(1)}}
	if env.Spot {
		strategy = []ecs.Service_CapacityProviderStrategyItem{
			{CapacityProvider: ptr("FARGATE"), Base: ptr(1), Weight: ptr(1)},
			{CapacityProvider: ptr("FARGATE_SPOT"), Weight: ptr(3)},
		}
	}
	svc := &ecs.Service{
		ServiceName: ptr(serviceName(q.Role)), Cluster: ptr(cloudformation.Ref("Cluster")),
		TaskDefinition: ptr(cloudformation.Ref(id + "TaskDefinition")),
		// No DesiredCount: CloudFormation would reset autoscaling's count
		// on every update; the scalable target's minimum holds the floor.
		CapacityProviderStrategy: strategy,
		NetworkConfiguration: &ecs.Service_NetworkConfiguration{AwsvpcConfiguration: &ecs.Service_AwsVpcConfiguration{
			AssignPublicIp: ptr(cloudformation.Ref("AssignPublicIp")),
			SecurityGroups: []string{cloudformation.Ref("TaskSecurityGroup")},
			Subnets:        []string{cloudformation.Ref("Subnets")},
		}},
		DeploymentConfiguration: &ecs.Service_DeploymentConfiguration{
			MinimumHealthyPercent: ptr(100), MaximumPercent: ptr(200),
			DeploymentCircuitBreaker: &ecs.Service_DeploymentCircuitBreaker{Enable: true, Rollback: true},
		},
		EnableECSManagedTags: ptr(true), PropagateTags: ptr("SERVICE"),
	}
	t.Resources[id+"Service"] = svc

	target := &applicationautoscaling.ScalableTarget{
		MinCapacity: s.MinTasks, MaxCapacity: s.MaxTasks,
		ResourceId:        fmt.Sprintf("service/%s/%s", env.Cluster, serviceName(q.Role)),
		ScalableDimension: "ecs:service:DesiredCount", ServiceNamespace: "ecs",
	}
	target.AWSCloudFormationDependsOn = []string{id + "Service"}
	t.Resources[id+"ScalableTarget"] = target
	t.Resources[id+"BacklogPolicy"] = backlogPolicy(env, q, s, id)
	if s.MinTasks == 0 {
		renderScaleFromZero(t, env, q, id)
	}
	return nil
}

func logGroup(env Environment) string { return "/quarry/" + env.Name }

// backlogPolicy tracks visible messages per running task (metric math:
// SQS's ApproximateNumberOfMessagesVisible over Container Insights'
// RunningTaskCount) at the role's target.
func backlogPolicy(env Environment, q infra.Queue, s RoleSettings, id string) *applicationautoscaling.ScalingPolicy {
	dim := func(n, v string) applicationautoscaling.ScalingPolicy_TargetTrackingMetricDimension {
		return applicationautoscaling.ScalingPolicy_TargetTrackingMetricDimension{Name: ptr(n), Value: ptr(v)}
	}
	return &applicationautoscaling.ScalingPolicy{
		PolicyName: serviceName(q.Role) + "-backlog-per-task", PolicyType: "TargetTrackingScaling",
		ScalingTargetId: ptr(cloudformation.Ref(id + "ScalableTarget")),
		TargetTrackingScalingPolicyConfiguration: &applicationautoscaling.ScalingPolicy_TargetTrackingScalingPolicyConfiguration{
			TargetValue: s.TargetBacklogPerTask, ScaleOutCooldown: ptr(60), ScaleInCooldown: ptr(300),
			CustomizedMetricSpecification: &applicationautoscaling.ScalingPolicy_CustomizedMetricSpecification{
				Metrics: []applicationautoscaling.ScalingPolicy_TargetTrackingMetricDataQuery{
					{Id: ptr("m1"), ReturnData: ptr(false), MetricStat: &applicationautoscaling.ScalingPolicy_TargetTrackingMetricStat{
						Stat: ptr("Sum"), Metric: &applicationautoscaling.ScalingPolicy_TargetTrackingMetric{
							Namespace: ptr("AWS/SQS"), MetricName: ptr("ApproximateNumberOfMessagesVisible"),
							Dimensions: []applicationautoscaling.ScalingPolicy_TargetTrackingMetricDimension{dim("QueueName", q.Name)},
						}}},
					{Id: ptr("m2"), ReturnData: ptr(false), MetricStat: &applicationautoscaling.ScalingPolicy_TargetTrackingMetricStat{
						Stat: ptr("Average"), Metric: &applicationautoscaling.ScalingPolicy_TargetTrackingMetric{
							Namespace: ptr("ECS/ContainerInsights"), MetricName: ptr("RunningTaskCount"),
							Dimensions: []applicationautoscaling.ScalingPolicy_TargetTrackingMetricDimension{
								dim("ClusterName", env.Cluster), dim("ServiceName", serviceName(q.Role))},
						}}},
					{Id: ptr("e1"), Expression: ptr("m1 / m2"), Label: ptr("backlog per task"), ReturnData: ptr(true)},
				},
			},
		},
	}
}

// renderScaleFromZero starts the first task of a service scaled to zero:
// target tracking has no datapoint at zero tasks (m1 / 0), so a step
// policy adds one task when messages wait and no task runs. Its alarm is
// true only at zero running tasks, so it never fights target tracking.
func renderScaleFromZero(t *cloudformation.Template, env Environment, q infra.Queue, id string) {
	t.Resources[id+"FromZeroPolicy"] = &applicationautoscaling.ScalingPolicy{
		PolicyName: serviceName(q.Role) + "-from-zero", PolicyType: "StepScaling",
		ScalingTargetId: ptr(cloudformation.Ref(id + "ScalableTarget")),
		StepScalingPolicyConfiguration: &applicationautoscaling.ScalingPolicy_StepScalingPolicyConfiguration{
			AdjustmentType: ptr("ChangeInCapacity"), Cooldown: ptr(60), MetricAggregationType: ptr("Maximum"),
			StepAdjustments: []applicationautoscaling.ScalingPolicy_StepAdjustment{{MetricIntervalLowerBound: ptr(0.0), ScalingAdjustment: 1}},
		},
	}
	metric := func(qid, ns, name, stat string, dims ...cloudwatch.Alarm_Dimension) cloudwatch.Alarm_MetricDataQuery {
		return cloudwatch.Alarm_MetricDataQuery{Id: qid, ReturnData: ptr(false), MetricStat: &cloudwatch.Alarm_MetricStat{
			Period: 60, Stat: stat, Metric: &cloudwatch.Alarm_Metric{Namespace: ptr(ns), MetricName: ptr(name), Dimensions: dims}}}
	}
	t.Resources[id+"FromZeroAlarm"] = &cloudwatch.Alarm{
		AlarmName:          ptr(serviceName(q.Role) + "-from-zero"),
		AlarmDescription:   ptr(fmt.Sprintf("Jobs wait in %s and no %s task runs: start one", q.Name, q.Role)),
		ComparisonOperator: "GreaterThanOrEqualToThreshold", Threshold: ptr(1.0),
		EvaluationPeriods: 1, DatapointsToAlarm: ptr(1), TreatMissingData: ptr("notBreaching"),
		AlarmActions: []string{cloudformation.Ref(id + "FromZeroPolicy")},
		Metrics: []cloudwatch.Alarm_MetricDataQuery{
			metric("m1", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", cloudwatch.Alarm_Dimension{Name: "QueueName", Value: q.Name}),
			metric("m2", "ECS/ContainerInsights", "RunningTaskCount", "Average",
				cloudwatch.Alarm_Dimension{Name: "ClusterName", Value: env.Cluster}, cloudwatch.Alarm_Dimension{Name: "ServiceName", Value: serviceName(q.Role)}),
			{Id: "e1", Expression: ptr("IF(m1 > 0 AND FILL(m2, 0) == 0, 1, 0)"), Label: ptr("waiting with no task"), ReturnData: ptr(true)},
		},
	}
}

// taskPolicy is a role's least-privilege task policy, derived from the
// topology: its queue, its DLQ, what its stage calls, and its own task
// protection.
func taskPolicy(top infra.Topology, env Environment, q infra.Queue) policyDocument {
	st := []statement{
		allow("ConsumeQueue", []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}, arn("sqs", q.Name)),
		allow("DeadLetter", []string{"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}, arn("sqs", q.DLQName())),
		allow("TaskProtection", []string{"ecs:GetTaskProtection", "ecs:UpdateTaskProtection"}, arn("ecs", fmt.Sprintf("task/%s/*", env.Cluster))),
		// Every worker finds the jobs topic's ARN at start; ListTopics
		// has no resource-level permissions.
		allow("FindTopic", []string{"sns:ListTopics"}, "*"),
	}
	n := needsOfRole[q.Role]
	if n.publishJobs {
		st = append(st, allow("PublishJobs", []string{"sns:Publish"}, arn("sns", top.JobsTopic)))
	}
	if len(n.blobActions) > 0 {
		st = append(st, allow("Blobs", n.blobActions, cloudformation.Sub("arn:${AWS::Partition}:s3:::${BlobBucket}/*")))
	}
	if n.sendMail {
		identity := "identity/*" // the From domain is a deploy-time parameter
		if top.SenderIdentity != "" {
			identity = "identity/" + top.SenderIdentity
		}
		st = append(st,
			allow("SendMail", []string{"ses:SendEmail", "ses:SendRawEmail"}, arn("ses", identity), arn("ses", "configuration-set/"+top.ConfigurationSet)),
			// GetAccount (send quota, paused sending) is account-wide.
			allow("SendQuota", []string{"ses:GetAccount"}, "*"))
	}
	return policyDocument{Version: "2012-10-17", Statement: st}
}

func renderMail(top infra.Topology, env Environment) *cloudformation.Template {
	t := cloudformation.NewTemplate()
	t.Description = fmt.Sprintf("Quarry %s: the SES configuration set, its events to the %s topic", env.Name, top.EventsTopic)
	t.Resources["ConfigurationSet"] = &ses.ConfigurationSet{Name: ptr(top.ConfigurationSet)}
	t.Resources["EventDestination"] = &ses.ConfigurationSetEventDestination{
		ConfigurationSetName: cloudformation.Ref("ConfigurationSet"),
		EventDestination: &ses.ConfigurationSetEventDestination_EventDestination{
			Name: ptr("quarry-events"), Enabled: ptr(true),
			MatchingEventTypes: []string{"send", "reject", "bounce", "complaint", "delivery", "deliveryDelay", "renderingFailure"},
			SnsDestination:     &ses.ConfigurationSetEventDestination_SnsDestination{TopicARN: arn("sns", top.EventsTopic)},
		},
	}
	t.Outputs["ConfigurationSetName"] = cloudformation.Output{Value: cloudformation.Ref("ConfigurationSet")}
	return t
}

// queueAlarm alarms when a queue's metric stays above threshold for n
// one-minute datapoints in a row; a missing datapoint (an idle queue whose
// metrics sleep) never alarms.
func queueAlarm(name, desc, queue, metric string, threshold float64, n int) *cloudwatch.Alarm {
	return &cloudwatch.Alarm{
		AlarmName: ptr(name), AlarmDescription: ptr(desc),
		Namespace: ptr("AWS/SQS"), MetricName: ptr(metric),
		Dimensions: []cloudwatch.Alarm_Dimension{{Name: "QueueName", Value: queue}},
		Statistic:  ptr("Maximum"), Period: ptr(60), EvaluationPeriods: n, DatapointsToAlarm: ptr(n),
		ComparisonOperator: "GreaterThanThreshold", Threshold: ptr(threshold), TreatMissingData: ptr("notBreaching"),
		AlarmActions: []string{cloudformation.Ref("AlarmsTopic")},
	}
}
