package batch

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Image types of computeResources.ec2Configuration for ECS compute
// environments (API reference, Ec2Configuration): the ECS-optimized Amazon
// Linux 2023 and Amazon Linux 2 AMIs, and their NVIDIA (GPU) variants.
const (
	ImageTypeAL2023       = "ECS_AL2023"
	ImageTypeAL2023NVIDIA = "ECS_AL2023_NVIDIA"
	ImageTypeAL2          = "ECS_AL2"
	ImageTypeAL2NVIDIA    = "ECS_AL2_NVIDIA"
)

// imageTypes are the image types Tanda takes, newest first.
var imageTypes = []string{ImageTypeAL2023, ImageTypeAL2023NVIDIA, ImageTypeAL2, ImageTypeAL2NVIDIA}

// NVIDIAImageType reports whether an image type is a GPU (NVIDIA) one.
func NVIDIAImageType(imageType string) bool {
	return imageType == ImageTypeAL2023NVIDIA || imageType == ImageTypeAL2NVIDIA
}

// EC2Configuration is one entry of computeResources.ec2Configuration.
type EC2Configuration struct {
	ImageType              string `json:"imageType"`
	ImageIDOverride        string `json:"imageIdOverride,omitempty"`
	ImageKubernetesVersion string `json:"imageKubernetesVersion,omitempty"`
}

// LaunchTemplateSpec is computeResources.launchTemplate.
type LaunchTemplateSpec struct {
	ID        string                   `json:"launchTemplateId,omitempty"`
	Name      string                   `json:"launchTemplateName,omitempty"`
	Version   string                   `json:"version,omitempty"`
	Overrides []LaunchTemplateOverride `json:"overrides,omitempty"`
	// UserdataType is for EKS compute environments only.
	UserdataType string `json:"userdataType,omitempty"`
}

// LaunchTemplateOverride is a launch template that replaces the compute
// environment's for the instance types or families it targets.
type LaunchTemplateOverride struct {
	ID                  string   `json:"launchTemplateId,omitempty"`
	Name                string   `json:"launchTemplateName,omitempty"`
	Version             string   `json:"version,omitempty"`
	TargetInstanceTypes []string `json:"targetInstanceTypes,omitempty"`
	UserdataType        string   `json:"userdataType,omitempty"`
}

// EC2Configurations reads the compute resources' ec2Configuration. Entries
// that do not decode (validation refuses them) are left out.
func (cr *ComputeResource) EC2Configurations() []EC2Configuration {
	out := make([]EC2Configuration, 0, len(cr.Ec2Configuration))
	for _, raw := range cr.Ec2Configuration {
		var c EC2Configuration
		if decodeMember(raw, &c) == nil {
			out = append(out, c)
		}
	}
	return out
}

// LaunchTemplateSpec reads the compute resources' launchTemplate; false
// when it names none (or does not decode: validation refuses that).
func (cr *ComputeResource) LaunchTemplateSpec() (LaunchTemplateSpec, bool) {
	var s LaunchTemplateSpec
	if len(cr.LaunchTemplate) == 0 || decodeMember(cr.LaunchTemplate, &s) != nil {
		return LaunchTemplateSpec{}, false
	}
	return s, s.ID != "" || s.Name != ""
}

// decodeMember decodes a member kept as it came on the wire into v.
func decodeMember(raw any, v any) error {
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Image limits (API reference: Ec2Configuration, LaunchTemplateSpecification,
// LaunchTemplateSpecificationOverride).
const (
	maxImageMember             = 256
	maxLaunchTemplateOverrides = 10
	maxTargetInstanceTypes     = 10
)

// amiPattern is an AMI id: "ami-" and 8 or 17 hexadecimal digits.
var amiPattern = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)

// validateImages checks what chooses the instances' image (reference §2.5):
// the deprecated imageId, ec2Configuration and launchTemplate.
func validateImages(path, imageID string, ec2Config []map[string]any, launchTemplate map[string]any) error {
	if imageID != "" && !amiPattern.MatchString(imageID) {
		return invalidf(memberPath(path, "imageId"), "must be an AMI id such as ami-0123456789abcdef0 (got %s)", quoteValue(imageID))
	}
	if err := validateEC2Configuration(memberPath(path, "ec2Configuration"), ec2Config); err != nil {
		return err
	}
	return validateLaunchTemplate(memberPath(path, "launchTemplate"), launchTemplate)
}

// validateEC2Configuration checks ec2Configuration: at most two entries,
// each with a known ECS image type, an AMI id as imageIdOverride, and no
// imageKubernetesVersion (EKS only). One entry may be for non-GPU
// instances (ECS_AL2023 or ECS_AL2) and one for GPU instances (an NVIDIA
// type): two of a kind would leave it open which applies.
func validateEC2Configuration(path string, entries []map[string]any) error {
	if len(entries) > maxEC2Config {
		return invalidf(path, "must have at most %d entries (got %d)", maxEC2Config, len(entries))
	}
	seen := map[bool]string{} // NVIDIA or not → the image type
	for i, raw := range entries {
		p := elemPath(path, i)
		var c EC2Configuration
		if err := decodeMember(raw, &c); err != nil {
			return invalidf(p, "must be {imageType, imageIdOverride}: %v", err)
		}
		if err := validateImageType(memberPath(p, "imageType"), c.ImageType); err != nil {
			return err
		}
		if prev, ok := seen[NVIDIAImageType(c.ImageType)]; ok {
			return invalidf(memberPath(p, "imageType"), "%s clashes with %s of another entry: give at most one non-GPU type (ECS_AL2023 or ECS_AL2) and one NVIDIA type (ECS_AL2023_NVIDIA or ECS_AL2_NVIDIA)",
				c.ImageType, prev)
		}
		seen[NVIDIAImageType(c.ImageType)] = c.ImageType
		if c.ImageIDOverride != "" && !amiPattern.MatchString(c.ImageIDOverride) {
			return invalidf(memberPath(p, "imageIdOverride"), "must be an AMI id such as ami-0123456789abcdef0 (got %s)", quoteValue(c.ImageIDOverride))
		}
		if c.ImageKubernetesVersion != "" {
			return invalidf(memberPath(p, "imageKubernetesVersion"), "is only for EKS compute environments (imageType EKS_*): remove it")
		}
	}
	return nil
}

// validateImageType checks an ECS image type.
func validateImageType(path, t string) error {
	switch {
	case slices.Contains(imageTypes, t):
		return nil
	case t == "":
		return invalidf(path, "is required: one of %v", imageTypes)
	case strings.HasPrefix(t, "EKS_"):
		return unsupportedf(path, "EKS image types (EKS compute environments)")
	case t == "ECS_AL1":
		return invalidf(path, "ECS_AL1 (Amazon Linux 1) has reached end of life: use ECS_AL2023")
	}
	return invalidf(path, "must be one of %v (got %s)", imageTypes, quoteValue(t))
}

// validateLaunchTemplate checks launchTemplate: a template by id or name
// (not both), a version ($Default, $Latest or a number), and at most ten
// overrides, each naming a template and the instance types or families it
// is for, no type targeted twice.
func validateLaunchTemplate(path string, raw map[string]any) error {
	if len(raw) == 0 {
		return nil
	}
	var s LaunchTemplateSpec
	if err := decodeMember(raw, &s); err != nil {
		return invalidf(path, "must be {launchTemplateId or launchTemplateName, version, overrides}: %v", err)
	}
	if err := validateTemplateRef(path, s.ID, s.Name, s.Version, s.UserdataType); err != nil {
		return err
	}
	op := memberPath(path, "overrides")
	if len(s.Overrides) > maxLaunchTemplateOverrides {
		return invalidf(op, "must have at most %d entries (got %d)", maxLaunchTemplateOverrides, len(s.Overrides))
	}
	targeted := map[string]bool{}
	for i, o := range s.Overrides {
		p := elemPath(op, i)
		if err := validateTemplateRef(p, o.ID, o.Name, o.Version, o.UserdataType); err != nil {
			return err
		}
		if err := validateTargets(memberPath(p, "targetInstanceTypes"), o.TargetInstanceTypes, targeted); err != nil {
			return err
		}
	}
	return nil
}

// validateTemplateRef checks one launch template reference.
func validateTemplateRef(path, id, name, version, userdataType string) error {
	switch {
	case id == "" && name == "":
		return invalidf(path, "must name a launch template: give launchTemplateId or launchTemplateName")
	case id != "" && name != "":
		return invalidf(path, "must give launchTemplateId or launchTemplateName, not both")
	case len(id) > maxImageMember || len(name) > maxImageMember:
		return invalidf(path, "launch template id or name must be at most %d characters", maxImageMember)
	}
	if version != "" && version != "$Default" && version != "$Latest" {
		if n, err := strconv.ParseInt(version, 10, 64); err != nil || n < 1 {
			return invalidf(memberPath(path, "version"), "must be $Default, $Latest or a version number (got %s)", quoteValue(version))
		}
	}
	if userdataType != "" {
		return invalidf(memberPath(path, "userdataType"), "is only for EKS compute environments: remove it")
	}
	return nil
}

// validateTargets checks an override's targetInstanceTypes; targeted
// collects the types of all overrides.
func validateTargets(path string, targets []string, targeted map[string]bool) error {
	if len(targets) == 0 {
		return invalidf(path, "is required: the instance types or families this launch template is for")
	}
	if len(targets) > maxTargetInstanceTypes {
		return invalidf(path, "must have at most %d entries (got %d)", maxTargetInstanceTypes, len(targets))
	}
	for i, t := range targets {
		p := elemPath(path, i)
		switch {
		case t == "":
			return invalidf(p, "must not be empty")
		case t == "optimal" || t == "default_x86_64" || t == "default_arm64":
			return invalidf(p, "must be an instance type or family, not %s", t)
		case targeted[t]:
			return invalidf(p, "%s is targeted by another override: each instance type or family may have one", t)
		}
		targeted[t] = true
	}
	return nil
}

// TemplateFor is the launch template override whose targetInstanceTypes
// name the instance type or its family, if one does.
func (s LaunchTemplateSpec) TemplateFor(instanceType, family string) (LaunchTemplateOverride, bool) {
	for _, o := range s.Overrides {
		if slices.Contains(o.TargetInstanceTypes, instanceType) || family != "" && slices.Contains(o.TargetInstanceTypes, family) {
			return o, true
		}
	}
	return LaunchTemplateOverride{}, false
}
