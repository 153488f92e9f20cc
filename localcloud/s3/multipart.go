package s3

import "net/http"

func (s *Service) createUpload(w http.ResponseWriter, r *http.Request, t target) error {
	return errNotImplemented()
}
func (s *Service) uploadPart(w http.ResponseWriter, r *http.Request, t target) error {
	return errNotImplemented()
}
func (s *Service) completeUpload(w http.ResponseWriter, r *http.Request, t target) error {
	return errNotImplemented()
}
func (s *Service) abortUpload(w http.ResponseWriter, r *http.Request, t target) error {
	return errNotImplemented()
}
func (s *Service) listParts(w http.ResponseWriter, r *http.Request, t target) error {
	return errNotImplemented()
}
func (s *Service) listUploads(w http.ResponseWriter, r *http.Request, t target) error {
	return errNotImplemented()
}
