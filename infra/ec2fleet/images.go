package ec2fleet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/provisioner"
)

// Parameters reads SSM parameters; *ssm.Client has it.
type Parameters interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// The public SSM parameters naming the current ECS-optimized AMIs, the
// images AWS Batch launches for each imageType (Amazon ECS Developer
// Guide, "Retrieving Amazon ECS-optimized Linux AMI metadata"). AWS
// publishes no NVIDIA variant for arm64: an arm64 GPU type gets the arm64
// image of its family.
const (
	ParameterAL2023       = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
	ParameterAL2023ARM    = "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
	ParameterAL2023NVIDIA = "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"
	ParameterAL2          = "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"
	ParameterAL2ARM       = "/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id"
	ParameterAL2NVIDIA    = "/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id"
)

// imageParameters is the SSM parameter of each image type by architecture.
var imageParameters = map[string]map[string]string{
	batch.ImageTypeAL2023:       {provisioner.ArchX86: ParameterAL2023, provisioner.ArchARM: ParameterAL2023ARM},
	batch.ImageTypeAL2023NVIDIA: {provisioner.ArchX86: ParameterAL2023NVIDIA, provisioner.ArchARM: ParameterAL2023ARM},
	batch.ImageTypeAL2:          {provisioner.ArchX86: ParameterAL2, provisioner.ArchARM: ParameterAL2ARM},
	batch.ImageTypeAL2NVIDIA:    {provisioner.ArchX86: ParameterAL2NVIDIA, provisioner.ArchARM: ParameterAL2ARM},
}

// ImageParameter is the SSM parameter naming the default AMI of an image
// type for an architecture (provisioner.ArchX86 or ArchARM).
func ImageParameter(imageType, arch string) (string, error) {
	byArch, ok := imageParameters[imageType]
	if !ok {
		return "", fmt.Errorf("unknown image type %q", imageType)
	}
	p, ok := byArch[arch]
	if !ok {
		return "", fmt.Errorf("no %s image for architecture %q", imageType, arch)
	}
	return p, nil
}

// imageConfigFor is the ec2Configuration entry that applies to instance
// type t, as AWS Batch matches them: a GPU type takes the NVIDIA entry, any
// other type the non-GPU one, or else an NVIDIA entry when it is x86_64
// (the NVIDIA images run on every non-Graviton type). Without a matching
// entry the type gets AWS Batch's default, ECS_AL2023 or, for GPU types,
// ECS_AL2023_NVIDIA (ECS_AL2 and ECS_AL2_NVIDIA when the other entry is of
// the Amazon Linux 2 family).
func imageConfigFor(configs []batch.EC2Configuration, t provisioner.InstanceType) batch.EC2Configuration {
	gpu := t.GPUs > 0
	for _, c := range configs {
		if batch.NVIDIAImageType(c.ImageType) == gpu {
			return c
		}
	}
	if !gpu && t.Arch == provisioner.ArchX86 {
		for _, c := range configs {
			if batch.NVIDIAImageType(c.ImageType) {
				return c
			}
		}
	}
	al2 := false
	for _, c := range configs {
		al2 = al2 || c.ImageType == batch.ImageTypeAL2 || c.ImageType == batch.ImageTypeAL2NVIDIA
	}
	switch {
	case al2 && gpu:
		return batch.EC2Configuration{ImageType: batch.ImageTypeAL2NVIDIA}
	case al2:
		return batch.EC2Configuration{ImageType: batch.ImageTypeAL2}
	case gpu:
		return batch.EC2Configuration{ImageType: batch.ImageTypeAL2023NVIDIA}
	}
	return batch.EC2Configuration{ImageType: batch.ImageTypeAL2023}
}

// How long a default AMI, and a launch template version's image, are
// reused before they are read again.
const (
	amiTTL      = time.Hour
	templateTTL = 5 * time.Minute
)

// cachedValue is a value read at a time.
type cachedValue struct {
	value string
	at    time.Time
}

// imageCache keeps the AMIs read from SSM (by parameter) and the images
// of launch template versions (by template and version).
type imageCache struct {
	mu        sync.Mutex
	amis      map[string]cachedValue
	templates map[string]cachedValue
}

// get returns a value of m read within ttl of now, or reads it with read.
func (c *imageCache) get(m map[string]cachedValue, key string, ttl time.Duration, now time.Time, read func() (string, error)) (string, error) {
	c.mu.Lock()
	v, ok := m[key]
	c.mu.Unlock()
	if ok && now.Sub(v.at) < ttl {
		return v.value, nil
	}
	value, err := read()
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	m[key] = cachedValue{value: value, at: now}
	c.mu.Unlock()
	return value, nil
}

// defaultImage is the current AMI of an image type for an architecture,
// read from its public SSM parameter.
func (f *Fleet) defaultImage(ctx context.Context, imageType, arch string) (string, error) {
	name, err := ImageParameter(imageType, arch)
	if err != nil {
		return "", err
	}
	if f.opts.Parameters == nil {
		return "", fmt.Errorf("no SSM client to read the AMI in %s", name)
	}
	return f.images.get(f.images.amis, name, amiTTL, f.clock.Now(), func() (string, error) {
		out, err := f.opts.Parameters.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		if err != nil {
			return "", fmt.Errorf("reading the %s AMI from SSM parameter %s: %w", imageType, name, err)
		}
		if out.Parameter == nil || aws.ToString(out.Parameter.Value) == "" {
			return "", fmt.Errorf("SSM parameter %s names no AMI", name)
		}
		return aws.ToString(out.Parameter.Value), nil
	})
}

// templateImage is the image of a launch template version ("" when it sets
// none), as DescribeLaunchTemplateVersions gives it.
func (f *Fleet) templateImage(ctx context.Context, lt templateRef) (string, error) {
	return f.images.get(f.images.templates, lt.key(), templateTTL, f.clock.Now(), func() (string, error) {
		in := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{lt.version}}
		if lt.id != "" {
			in.LaunchTemplateId = aws.String(lt.id)
		} else {
			in.LaunchTemplateName = aws.String(lt.name)
		}
		out, err := f.api.DescribeLaunchTemplateVersions(ctx, in)
		if err != nil {
			return "", fmt.Errorf("describing launch template %s: %w", lt, err)
		}
		if len(out.LaunchTemplateVersions) == 0 {
			return "", fmt.Errorf("launch template %s has no such version", lt)
		}
		if d := out.LaunchTemplateVersions[0].LaunchTemplateData; d != nil {
			return aws.ToString(d.ImageId), nil
		}
		return "", nil
	})
}

// templateRef names a launch template version.
type templateRef struct {
	id, name, version string
}

func (t templateRef) key() string { return t.id + "|" + t.name + "|" + t.version }

func (t templateRef) String() string {
	n := t.id
	if n == "" {
		n = t.name
	}
	return n + " (version " + t.version + ")"
}

// ref names a launch template of the compute environment's, at its
// version or $Default.
func ref(id, name, version string) templateRef {
	if version == "" {
		version = "$Default"
	}
	return templateRef{id: id, name: name, version: version}
}

// baseTemplate is the compute environment's launch template if it names
// one, else the fleet's, at its default version unless told otherwise.
func (f *Fleet) baseTemplate(cr *batch.ComputeResource) (templateRef, error) {
	if s, ok := cr.LaunchTemplateSpec(); ok {
		return ref(s.ID, s.Name, s.Version), nil
	}
	if f.opts.LaunchTemplateID == "" && f.opts.LaunchTemplateName == "" {
		return templateRef{}, errors.New("no launch template: set one in the compute environment or the fleet's options")
	}
	return ref(f.opts.LaunchTemplateID, f.opts.LaunchTemplateName, ""), nil
}

// launchImage is where an instance type starts from: a launch template
// version and the image that overrides the template's ("" keeps it).
type launchImage struct {
	template templateRef
	imageID  string
}

// imageFor chooses t's launch template and image in AWS Batch's order
// (AWS Batch User Guide, "AMI selection order"):
//
//  1. a launch template override targeting t (or its family) that sets
//     an image;
//  2. computeResources.imageId (deprecated);
//  3. the imageIdOverride of the ec2Configuration entry for t;
//  4. the image of the compute environment's launch template (the
//     stack's, when it names none);
//  5. the current ECS-optimized AMI of t's image type and architecture.
//
// The launch template is the override's when one targets t, else base.
func (f *Fleet) imageFor(ctx context.Context, cr *batch.ComputeResource, base templateRef, t provisioner.InstanceType) (launchImage, error) {
	li := launchImage{template: base}
	if s, ok := cr.LaunchTemplateSpec(); ok {
		if o, ok := s.TemplateFor(t.Name, t.Family); ok {
			li.template = ref(o.ID, o.Name, o.Version)
			img, err := f.templateImage(ctx, li.template)
			if err != nil || img != "" {
				return li, err
			}
		}
	}
	cfg := imageConfigFor(cr.EC2Configurations(), t)
	switch {
	case cr.ImageID != "":
		li.imageID = cr.ImageID
		return li, nil
	case cfg.ImageIDOverride != "":
		li.imageID = cfg.ImageIDOverride
		return li, nil
	}
	img, err := f.templateImage(ctx, base)
	if err != nil {
		return li, err
	}
	if img != "" {
		if li.template != base {
			li.imageID = img
		}
		return li, nil
	}
	li.imageID, err = f.defaultImage(ctx, cfg.ImageType, t.Arch)
	if err != nil {
		return li, fmt.Errorf("choosing the image of %s: %w", t.Name, err)
	}
	return li, nil
}
