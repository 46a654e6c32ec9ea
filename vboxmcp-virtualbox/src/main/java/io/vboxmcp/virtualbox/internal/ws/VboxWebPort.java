package io.vboxmcp.virtualbox.internal.ws;

import io.vboxmcp.VboxmcpException;

import java.util.List;

/**
 * The handful of vboxwebsrv operations the web-service adapter uses, in their 7.x shapes (element names from the
 * VirtualBox IDL: {@code <Interface>_<method>}, children named after the parameters, managed object references as
 * strings). {@link SoapVboxWebPort#create} implements it over plain SOAP 1.1; tests use a {@code Proxy}.
 */
public interface VboxWebPort {
    @SoapOp("IWebsessionManager_logon")
    String logon(@SoapParam("username") String username, @SoapParam("password") String password) throws VboxmcpException;

    @SoapOp("IWebsessionManager_getSessionObject")
    String getSessionObject(@SoapParam("refIVirtualBox") String vbox) throws VboxmcpException;

    @SoapOp("IWebsessionManager_logoff")
    void logoff(@SoapParam("refIVirtualBox") String vbox) throws VboxmcpException;

    @SoapOp("IVirtualBox_getAPIVersion")
    String getAPIVersion(@SoapParam("_this") String vbox) throws VboxmcpException;

    @SoapOp("IVirtualBox_getVersion")
    String getVersion(@SoapParam("_this") String vbox) throws VboxmcpException;

    @SoapOp("IVirtualBox_getMachines")
    List<String> getMachines(@SoapParam("_this") String vbox) throws VboxmcpException;

    @SoapOp("IVirtualBox_findMachine")
    String findMachine(@SoapParam("_this") String vbox, @SoapParam("nameOrId") String nameOrId) throws VboxmcpException;

    /** 7.1/7.2 shape; pass {@code platform} null for the 7.0 shape (no such element). */
    @SoapOp("IVirtualBox_createMachine")
    String createMachine(@SoapParam("_this") String vbox, @SoapParam("settingsFile") String settingsFile,
                         @SoapParam("name") String name, @SoapParam("platform") String platform,
                         @SoapParam("groups") List<String> groups, @SoapParam("osTypeId") String osTypeId,
                         @SoapParam("flags") String flags, @SoapParam("cipher") String cipher,
                         @SoapParam("passwordId") String passwordId, @SoapParam("password") String password)
            throws VboxmcpException;

    @SoapOp("IVirtualBox_registerMachine")
    void registerMachine(@SoapParam("_this") String vbox, @SoapParam("machine") String machine) throws VboxmcpException;

    @SoapOp("IVirtualBox_openMedium")
    String openMedium(@SoapParam("_this") String vbox, @SoapParam("location") String location,
                      @SoapParam("deviceType") String deviceType, @SoapParam("accessMode") String accessMode,
                      @SoapParam("forceNewUuid") boolean forceNewUuid) throws VboxmcpException;

    @SoapOp("IMachine_getName")
    String machineGetName(@SoapParam("_this") String machine) throws VboxmcpException;

    @SoapOp("IMachine_getId")
    String machineGetId(@SoapParam("_this") String machine) throws VboxmcpException;

    @SoapOp("IMachine_getState")
    String machineGetState(@SoapParam("_this") String machine) throws VboxmcpException;

    @SoapOp("IMachine_getOSTypeId")
    String machineGetOSTypeId(@SoapParam("_this") String machine) throws VboxmcpException;

    @SoapOp("IMachine_findSnapshot")
    String machineFindSnapshot(@SoapParam("_this") String machine, @SoapParam("nameOrId") String nameOrId)
            throws VboxmcpException;

    @SoapOp("ISnapshot_getMachine")
    String snapshotGetMachine(@SoapParam("_this") String snapshot) throws VboxmcpException;

    @SoapOp("IMachine_cloneTo")
    String machineCloneTo(@SoapParam("_this") String machine, @SoapParam("target") String target,
                          @SoapParam("mode") String mode, @SoapParam("options") List<String> options)
            throws VboxmcpException;

    @SoapOp("IMachine_lockMachine")
    void machineLockMachine(@SoapParam("_this") String machine, @SoapParam("session") String session,
                            @SoapParam("lockType") String lockType) throws VboxmcpException;

    @SoapOp("ISession_getMachine")
    String sessionGetMachine(@SoapParam("_this") String session) throws VboxmcpException;

    @SoapOp("ISession_getConsole")
    String sessionGetConsole(@SoapParam("_this") String session) throws VboxmcpException;

    @SoapOp("ISession_unlockMachine")
    void sessionUnlockMachine(@SoapParam("_this") String session) throws VboxmcpException;

    @SoapOp("IMachine_setMemorySize")
    void machineSetMemorySize(@SoapParam("_this") String machine, @SoapParam("memorySize") long mb)
            throws VboxmcpException;

    @SoapOp("IMachine_setCPUCount")
    void machineSetCPUCount(@SoapParam("_this") String machine, @SoapParam("CPUCount") long cpus)
            throws VboxmcpException;

    @SoapOp("IMachine_getNetworkAdapter")
    String machineGetNetworkAdapter(@SoapParam("_this") String machine, @SoapParam("slot") long slot)
            throws VboxmcpException;

    @SoapOp("INetworkAdapter_setEnabled")
    void networkAdapterSetEnabled(@SoapParam("_this") String nic, @SoapParam("enabled") boolean enabled)
            throws VboxmcpException;

    @SoapOp("INetworkAdapter_setAttachmentType")
    void networkAdapterSetAttachmentType(@SoapParam("_this") String nic, @SoapParam("attachmentType") String type)
            throws VboxmcpException;

    @SoapOp("INetworkAdapter_getNATEngine")
    String networkAdapterGetNATEngine(@SoapParam("_this") String nic) throws VboxmcpException;

    @SoapOp("INATEngine_getRedirects")
    List<String> natEngineGetRedirects(@SoapParam("_this") String nat) throws VboxmcpException;

    @SoapOp("INATEngine_removeRedirect")
    void natEngineRemoveRedirect(@SoapParam("_this") String nat, @SoapParam("name") String name) throws VboxmcpException;

    @SoapOp("INATEngine_addRedirect")
    void natEngineAddRedirect(@SoapParam("_this") String nat, @SoapParam("name") String name,
                              @SoapParam("proto") String proto, @SoapParam("hostIP") String hostIp,
                              @SoapParam("hostPort") int hostPort, @SoapParam("guestIP") String guestIp,
                              @SoapParam("guestPort") int guestPort) throws VboxmcpException;

    @SoapOp("IMachine_createSharedFolder")
    void machineCreateSharedFolder(@SoapParam("_this") String machine, @SoapParam("name") String name,
                                   @SoapParam("hostPath") String hostPath, @SoapParam("writable") boolean writable,
                                   @SoapParam("automount") boolean automount,
                                   @SoapParam("autoMountPoint") String autoMountPoint) throws VboxmcpException;

    @SoapOp("IMachine_getStorageControllers")
    List<String> machineGetStorageControllers(@SoapParam("_this") String machine) throws VboxmcpException;

    @SoapOp("IStorageController_getName")
    String storageControllerGetName(@SoapParam("_this") String controller) throws VboxmcpException;

    @SoapOp("IStorageController_getBus")
    String storageControllerGetBus(@SoapParam("_this") String controller) throws VboxmcpException;

    @SoapOp("IMachine_addStorageController")
    String machineAddStorageController(@SoapParam("_this") String machine, @SoapParam("name") String name,
                                       @SoapParam("connectionType") String bus) throws VboxmcpException;

    @SoapOp("IMachine_attachDevice")
    void machineAttachDevice(@SoapParam("_this") String machine, @SoapParam("name") String controller,
                             @SoapParam("controllerPort") int port, @SoapParam("device") int device,
                             @SoapParam("type") String type, @SoapParam("medium") String medium) throws VboxmcpException;

    @SoapOp("IMachine_saveSettings")
    void machineSaveSettings(@SoapParam("_this") String machine) throws VboxmcpException;

    @SoapOp("IMachine_launchVMProcess")
    String machineLaunchVMProcess(@SoapParam("_this") String machine, @SoapParam("session") String session,
                                  @SoapParam("name") String frontend,
                                  @SoapParam("environmentChanges") List<String> environmentChanges)
            throws VboxmcpException;

    @SoapOp("IMachine_takeSnapshot")
    String machineTakeSnapshot(@SoapParam("_this") String machine, @SoapParam("name") String name,
                               @SoapParam("description") String description, @SoapParam("pause") boolean pause)
            throws VboxmcpException;

    @SoapOp("IProgress_waitForCompletion")
    void progressWaitForCompletion(@SoapParam("_this") String progress, @SoapParam("timeout") int timeoutMs)
            throws VboxmcpException;

    @SoapOp("IProgress_getResultCode")
    int progressGetResultCode(@SoapParam("_this") String progress) throws VboxmcpException;

    @SoapOp("IProgress_getErrorInfo")
    String progressGetErrorInfo(@SoapParam("_this") String progress) throws VboxmcpException;

    @SoapOp("IVirtualBoxErrorInfo_getText")
    String errorInfoGetText(@SoapParam("_this") String errorInfo) throws VboxmcpException;

    @SoapOp("IConsole_powerButton")
    void consolePowerButton(@SoapParam("_this") String console) throws VboxmcpException;

    @SoapOp("IConsole_powerDown")
    String consolePowerDown(@SoapParam("_this") String console) throws VboxmcpException;

    @SoapOp("IMachine_unregister")
    List<String> machineUnregister(@SoapParam("_this") String machine, @SoapParam("cleanupMode") String cleanupMode)
            throws VboxmcpException;

    @SoapOp("IMachine_deleteConfig")
    String machineDeleteConfig(@SoapParam("_this") String machine, @SoapParam("media") List<String> media)
            throws VboxmcpException;
}
